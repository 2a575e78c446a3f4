package execute_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/execute"
)

// TestTagPushedDuringApply: a tag pushed onto a to-be-deleted digest
// while apply runs (after its first DELETE) saves that digest: every
// digest DELETE is sent within the re-verification window of a listing
// of the repository's tags, and the new tag is resolved before the next
// DELETE. The registry answers each DELETE slowly, so without fresh
// listings the window would be exceeded.
func TestTagPushedDuringApply(t *testing.T) {
	t.Parallel()
	e := distribution(t)
	var entries []seed.Entry
	for i, tag := range []string{"old-1", "old-2", "old-3", "old-4", "old-5"} {
		entries = append(entries, seed.Entry{Tag: tag, Created: daysAgo(40 - i)})
	}
	d := e.seed("app", append(entries, seed.Entry{Tag: "keep-1", Created: daysAgo(5)})...)
	repo := e.repo("app")
	rules := keepRules(t, []string{repo}, "keep-*")
	p := e.plan(rules)
	var target string
	for _, del := range repoPlan(t, p, repo).Deletions {
		if del.Kind == retention.KindImage {
			target = del.Digest // the last one apply deletes
		}
	}
	const window = time.Second
	type event struct {
		at     time.Time
		listed bool
		digest string
	}
	var (
		mu     sync.Mutex
		events []event
		pushed bool
	)
	e.proxy.Before(func(r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/tags/list"):
			mu.Lock()
			events = append(events, event{at: time.Now(), listed: true})
			mu.Unlock()
		case r.Method == http.MethodDelete && strings.Contains(r.URL.Path, "/manifests/sha256:"):
			dg := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
			mu.Lock()
			events = append(events, event{at: time.Now(), digest: dg})
			first := !pushed
			pushed = true
			mu.Unlock()
			if first && dg != target {
				e.tag("app", "new-x", target) // pushed by another client mid-run
			}
			time.Sleep(window / 3) // a slow registry
		}
	})
	out := e.apply(rules, p, execute.Options{Concurrency: 1, VerifyWindow: window})

	wantStatus(t, out, repo, target, retention.KindImage, retention.StatusSkipped, "new-x")
	if !e.exists("app", target) {
		t.Errorf("the digest new-x was pushed onto was deleted")
	}
	var lastList time.Time
	deletes := 0
	for _, ev := range events {
		if ev.listed {
			lastList = ev.at
			continue
		}
		deletes++
		if gap := ev.at.Sub(lastList); gap > window {
			t.Errorf("DELETE of %s sent %s after the last listing, more than the %s window", ev.digest, gap, window)
		}
	}
	if deletes < 4 {
		t.Errorf("%d digest DELETEs, want at least 4 (the other old images)", deletes)
	}
	_ = d
}
