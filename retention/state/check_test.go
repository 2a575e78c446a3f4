package state

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/regprune/regprune/retention"
)

// populated returns the bytes of a real state database of more than
// 128 KiB: cached manifests and configs, a journal, a recorded run.
func populated(t *testing.T) []byte {
	t.Helper()
	dir := t.TempDir()
	s, _, err := Open(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	const repo = "reg.example/app"
	// In one transaction: PutManifest batches, and waits for company.
	err = s.db.Update(func(tx *bolt.Tx) error {
		for i := range 200 {
			raw := bytes.Repeat([]byte{byte('a' + i%26)}, 1024)
			for _, e := range []struct {
				key string
				c   cached
			}{
				{fmt.Sprintf("sha256:%064d", i), cached{Raw: raw, ContentType: "application/vnd.oci.image.manifest.v1+json"}},
				{fmt.Sprintf("sha256:%063dc", i), cached{ConfigBlob: raw[:256]}},
			} {
				b, err := json.Marshal(e.c)
				if err != nil {
					return err
				}
				if err := tx.Bucket(manifestsBucket).Put(manifestKey(repo, e.key), b); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		d := fmt.Sprintf("sha256:%064d", i)
		if err := s.RecordDeletion("run-1", repo, retention.Deletion{Digest: d, Kind: retention.KindImage}, []byte("{}"), ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Begin(repo, []retention.Deletion{{Digest: "sha256:i", Kind: retention.KindIndex}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	b, err := os.ReadFile(filepath.Join(dir, File))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 128<<10 {
		t.Fatalf("the populated database is %d bytes, want more than 128 KiB", len(b))
	}
	return b
}

// damaged is a state file to open: what it holds, and whether Open must
// keep it (a database bbolt can read) or move it aside.
type damaged struct {
	name  string
	bytes []byte
	keep  bool
}

// damagedFiles are a populated database cut at every page boundary up to
// 64 KiB and at sizes in between, random bytes, and the database with a
// freelist page that runs past the end of the file (its meta pages are
// right, so only bbolt's reading of it faults).
func damagedFiles(t *testing.T) []damaged {
	t.Helper()
	full := populated(t)
	ps := os.Getpagesize()
	var out []damaged
	sizes := []int{1, 15, 16, 79, 80, 100, 1023, 4095, 4097, 8191, 8193, 12<<10 + 1, 16<<10 - 1, 16<<10 + 100, 20000, 40000, 65535}
	for n := 0; n <= 64<<10; n += ps {
		sizes = append(sizes, n)
	}
	for _, n := range sizes {
		out = append(out, damaged{name: fmt.Sprintf("truncated to %d bytes", n), bytes: full[:n], keep: n == 0})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{100, 4096, 8192, 12 << 10, 16 << 10, 64 << 10, 200 << 10} {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		out = append(out, damaged{name: fmt.Sprintf("%d random bytes", n), bytes: b})
	}
	out = append(out, damaged{name: "intact", bytes: full, keep: true})
	out = append(out, damaged{name: "freelist past the end", bytes: longFreelist(t, full)})
	return out
}

// longFreelist returns db with its freelist page saying it lists far
// more pages than the file holds.
func longFreelist(t *testing.T, db []byte) []byte {
	t.Helper()
	b := bytes.Clone(db)
	var freelist uint64
	var txid uint64
	for page := range 2 {
		m := b[page*os.Getpagesize()+pageHeaderSize:]
		if tx := binary.NativeEndian.Uint64(m[48:]); tx >= txid {
			txid, freelist = tx, binary.NativeEndian.Uint64(m[32:])
		}
	}
	if freelist == noFreelist {
		t.Fatal("the database has no freelist page")
	}
	p := b[int(freelist)*os.Getpagesize():]
	binary.NativeEndian.PutUint16(p[10:], 0xFFFF)      // count: the first element holds it
	binary.NativeEndian.PutUint64(p[16:], 1<<28)       // 256 Mi page ids
	binary.NativeEndian.PutUint32(p[12:], 0)           // no overflow pages
	binary.NativeEndian.PutUint16(p[8:], uint16(0x10)) // a freelist page
	return b
}

// TestCheckFile: the check refuses a database cut short before bbolt
// maps it, and passes an intact one and an empty file.
func TestCheckFile(t *testing.T) {
	full := populated(t)
	dir := t.TempDir()
	for n := 0; n <= 64<<10; n += os.Getpagesize() {
		p := filepath.Join(dir, fmt.Sprint(n))
		if err := os.WriteFile(p, full[:n], 0o600); err != nil {
			t.Fatal(err)
		}
		if err := checkFile(p); (err == nil) != (n == 0) {
			t.Errorf("cut to %d bytes: checkFile = %v", n, err)
		}
	}
	p := filepath.Join(dir, "full")
	if err := os.WriteFile(p, full, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := checkFile(p); err != nil {
		t.Errorf("an intact database: %v", err)
	}
}

// TestOpenDamaged opens each damaged file as a state directory: every
// one opens (an empty file afresh), or is moved aside and replaced;
// none panics, and none faults (SIGBUS kills a process, so the files are
// opened in a child process, which names the file it opens first).
func TestOpenDamaged(t *testing.T) {
	if dir := os.Getenv("REGPRUNE_TEST_DAMAGED"); dir != "" {
		openDamaged(t, dir)
		return
	}
	root := t.TempDir()
	cases := damagedFiles(t)
	for i, c := range cases {
		dir := filepath.Join(root, fmt.Sprint(i))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, File), c.bytes, 0o600); err != nil {
			t.Fatal(err)
		}
		want := "aside"
		if c.keep {
			want = "keep"
		}
		if err := os.WriteFile(filepath.Join(dir, "case"), []byte(want+" "+c.name), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestOpenDamaged$", "-test.v")
	cmd.Env = append(os.Environ(), "REGPRUNE_TEST_DAMAGED="+root)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("opening the damaged files: %v\n%s", err, out)
	}
	if got := strings.Count(string(out), "opened: "); got != len(cases) {
		t.Errorf("the child opened %d files, want %d\n%s", got, len(cases), out)
	}
}

// openDamaged is the child of TestOpenDamaged.
func openDamaged(t *testing.T, root string) {
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		dir := filepath.Join(root, e.Name())
		b, err := os.ReadFile(filepath.Join(dir, "case"))
		if err != nil {
			t.Fatal(err)
		}
		want, name, _ := strings.Cut(string(b), " ")
		fmt.Printf("opening: %s\n", name)
		s, note, err := Open(dir, time.Second)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		aside, _ := filepath.Glob(filepath.Join(dir, File+".corrupt-*"))
		switch {
		case want == "keep" && (note != "" || len(aside) != 0):
			t.Errorf("%s: moved aside (%s), want it opened", name, note)
		case want == "aside" && (!strings.Contains(note, "moved aside") || len(aside) != 1):
			t.Errorf("%s: note %q, %d files aside, want it moved aside", name, note, len(aside))
		}
		// The store works.
		s.PutManifest("reg.example/app", "sha256:x", []byte("{}"), "application/json")
		if _, _, ok := s.Manifest("reg.example/app", "sha256:x"); !ok {
			t.Errorf("%s: the store does not keep what it is given", name)
		}
		s.Close()
		fmt.Printf("opened: %s (%s)\n", name, note)
	}
}
