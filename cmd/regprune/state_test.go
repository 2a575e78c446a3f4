package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/state"
)

// TestPoisonedCache: a state directory whose cached creation times were
// edited to 2001 (anyone who can write the state directory, a restored
// CI cache for one) does not make minAge delete an image built an hour
// ago: what the cache holds is checked against its digest, and a cached
// config that fails is read again from the registry, with a warning.
func TestPoisonedCache(t *testing.T) {
	t.Parallel()
	reg := registrytest.StartDistribution(t)
	now := time.Now()
	repo := reg.Repo("acme/app")
	if _, err := seed.History(context.Background(), repo, []seed.Entry{
		{Tag: "v1.0.0", Created: now.Add(-10 * 24 * time.Hour)},
		{Tag: "v1.1.0", Created: now.Add(-time.Hour)},
		{Tag: "v2.0.0", Created: now.Add(-5 * 24 * time.Hour)},
	}); err != nil {
		t.Fatal(err)
	}
	cfg := releasesConfig(t, "minAge: 24h", reg.Host, repo)
	stateDir := filepath.Join(t.TempDir(), "state")

	// A plan fills the cache with the three configs.
	if r := runCLI(t, nil, "plan", "-c", cfg, "--state-dir", stateDir); r.code != 0 {
		t.Fatalf("plan: exit %d\n%s", r.code, r.stderr)
	}
	if n := poisonCreated(t, filepath.Join(stateDir, state.File), "2001-01-01T00:00:00Z"); n == 0 {
		t.Fatal("the state database holds no creation time to edit")
	}

	r := runCLI(t, nil, "apply", "-c", cfg, "--state-dir", stateDir)
	if r.code != 0 {
		t.Fatalf("apply: exit %d\n%s", r.code, r.stderr)
	}
	if got, want := listTags(t, repo), []string{"v1.1.0", "v2.0.0"}; !slices.Equal(got, want) {
		t.Errorf("after apply over the edited cache: tags %v, want %v (the hour-old v1.1.0 kept by minAge)\n%s", got, want, r.stderr)
	}
	if !strings.Contains(r.stderr, "does not hash to its digest") {
		t.Errorf("no warning about the edited cache:\n%s", r.stderr)
	}
}

// TestStateRetention: a recorded run outlives the default retention's
// first days, and is gone once it is older than stateRetention.
func TestStateRetention(t *testing.T) {
	t.Parallel()
	stateDir := filepath.Join(t.TempDir(), "state")
	store, _, err := state.Open(stateDir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.RecordDeletion("run-a", "localhost:5000/a", retention.Deletion{Digest: "sha256:a"}, []byte("{}"), ""); err != nil {
		t.Fatal(err)
	}
	store.Close()
	const policies = "policies: [{repositories: [localhost:5000/a], keep: [{newest: 1}]}]\n"
	list := func(head string) result {
		t.Helper()
		r := runCLI(t, nil, "restore", "-c", writeConfig(t, head+policies), "--state-dir", stateDir, "--list")
		if r.code != 0 {
			t.Fatalf("restore --list: exit %d\n%s", r.code, r.stderr)
		}
		return r
	}
	if r := list(""); !strings.Contains(r.stdout, "run-a") {
		t.Fatalf("under the default retention the run is gone:\n%s%s", r.stdout, r.stderr)
	}
	time.Sleep(1100 * time.Millisecond)
	if r := list("stateRetention: 1s\n"); strings.Contains(r.stdout, "run-a") {
		t.Errorf("a run older than stateRetention: 1s is still listed:\n%s", r.stdout)
	}
}

// poisonCreated rewrites every creation time the state database at path
// holds, however it holds it: a "created" field of any entry of the
// cache, also inside stored bytes (JSON encodes them as base64), and of
// any manifest in the content bucket. It returns how many it rewrote.
func poisonCreated(t *testing.T, path, to string) int {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n := 0
	var rewrite func(v any) (any, bool)
	rewrite = func(v any) (any, bool) {
		changed := false
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if _, isString := x.(string); isString && strings.EqualFold(k, "created") {
					v[k], changed = to, true
					n++
					continue
				}
				if y, ok := rewrite(x); ok {
					v[k], changed = y, true
				}
			}
			return v, changed
		case []any:
			for i, x := range v {
				if y, ok := rewrite(x); ok {
					v[i], changed = y, true
				}
			}
			return v, changed
		case string:
			b, err := base64.StdEncoding.DecodeString(v)
			var inner any
			if err != nil || json.Unmarshal(b, &inner) != nil {
				return v, false
			}
			if y, ok := rewrite(inner); ok {
				b, _ := json.Marshal(y)
				return base64.StdEncoding.EncodeToString(b), true
			}
		}
		return v, false
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte("manifests")) == nil {
			return fmt.Errorf("no manifests bucket")
		}
		for _, name := range []string{"manifests", "content"} {
			if bk := tx.Bucket([]byte(name)); bk != nil {
				if err := poisonBucket(bk, rewrite); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// poisonBucket rewrites each JSON value of bk that rewrite changes.
func poisonBucket(bk *bolt.Bucket, rewrite func(any) (any, bool)) error {
	type kv struct{ k, v []byte }
	var edits []kv
	err := bk.ForEach(func(k, v []byte) error {
		var e any
		if json.Unmarshal(v, &e) != nil {
			return nil
		}
		if y, ok := rewrite(e); ok {
			b, err := json.Marshal(y)
			if err != nil {
				return err
			}
			edits = append(edits, kv{slices.Clone(k), b})
		}
		return nil
	})
	for _, e := range edits {
		if err == nil {
			err = bk.Put(e.k, e.v)
		}
	}
	return err
}
