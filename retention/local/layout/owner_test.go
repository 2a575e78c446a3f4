package layout

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestRewriteKeepsOwner: root pruning a user's layout leaves index.json
// owned by that user, with its mode.
func TestRewriteKeepsOwner(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("changing a file's owner needs root")
	}
	p := newLayout(t)
	appendImage(t, p, image(t, day(30)), "v1")
	appendImage(t, p, image(t, day(1)), "v2")
	age(t, string(p))
	index := filepath.Join(string(p), "index.json")
	if err := os.Chown(index, 1234, 4321); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(index, 0o640); err != nil {
		t.Fatal(err)
	}
	run(t, rules(t, string(p), 0, nil, keepNewest(1)))
	st, err := os.Stat(index)
	if err != nil {
		t.Fatal(err)
	}
	sys := st.Sys().(*syscall.Stat_t)
	if sys.Uid != 1234 || sys.Gid != 4321 || st.Mode().Perm() != 0o640 {
		t.Errorf("index.json after the rewrite: owner %d:%d mode %v, want 1234:4321 -rw-r-----", sys.Uid, sys.Gid, st.Mode().Perm())
	}
}
