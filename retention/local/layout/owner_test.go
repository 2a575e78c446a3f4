package layout

import (
	"os"
	"os/exec"
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

// TestLockCreatedByRoot: a lock file that root left behind (mode 0644,
// owned by root) does not lock the layout's owner out: the lock is taken
// on a read-only descriptor. The owner's side runs as a child process
// with the owner's uid.
func TestLockCreatedByRoot(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("running as another user needs root")
	}
	p := newLayout(t)
	appendImage(t, p, image(t, day(1)), "v1")
	const owner = 65534 // nobody
	for dir := string(p); dir != "/"; dir = filepath.Dir(dir) {
		if err := os.Chmod(dir, 0o755); err != nil { // t.TempDir is 0700
			break
		}
		if dir == os.TempDir() {
			break
		}
	}
	err := filepath.Walk(string(p), func(path string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, owner, owner)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(string(p), LockFile), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// The test binary's own folder is root's alone: run a copy.
	bin := filepath.Join(t.TempDir(), "layout.test")
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, self, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestLockHelper$")
	cmd.Env = append(os.Environ(), "REGPRUNE_LOCK_HELPER="+string(p))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: owner, Gid: owner}}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("the layout's owner could not take the lock root created: %v\n%s", err, out)
	}
}

// TestLockHelper is TestLockCreatedByRoot's child: it takes the lock of
// the layout named by REGPRUNE_LOCK_HELPER for apply. It does nothing in
// an ordinary run.
func TestLockHelper(t *testing.T) {
	root := os.Getenv("REGPRUNE_LOCK_HELPER")
	if root == "" {
		return
	}
	l, err := acquire(root, true)
	if err != nil {
		t.Fatalf("taking the lock: %v", err)
	}
	l.release()
}
