package execute_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/execute"
	"github.com/regprune/regprune/retention/registry/oci"
)

// TestTransientFailuresRetried: 429 (honouring Retry-After) and 503 are
// retried by the client's retry layer and the deletion succeeds; a DELETE
// that keeps failing is reported failed with the registry's error, never
// dropped.
func TestTransientFailuresRetried(t *testing.T) {
	t.Parallel()
	e := distribution(t)
	d := e.seed("app",
		seed.Entry{Tag: "rate-limited", Created: daysAgo(40)},
		seed.Entry{Tag: "unavailable-once", Created: daysAgo(30)},
		seed.Entry{Tag: "unavailable", Created: daysAgo(20)},
		seed.Entry{Tag: "keep-1", Created: daysAgo(5)},
	)
	repo := e.repo("app")
	rules := keepRules(t, []string{repo}, "keep-*")
	p := e.plan(rules)
	e.proxy.Inject(registrytest.Fault{Match: isDelete("app", d["rate-limited"]), Times: 1, Status: http.StatusTooManyRequests, RetryAfter: "1"})
	e.proxy.Inject(registrytest.Fault{Match: isDelete("app", d["unavailable-once"]), Times: 1, Status: http.StatusServiceUnavailable})
	e.proxy.Inject(registrytest.Fault{Match: isDelete("app", d["unavailable"]), Status: http.StatusServiceUnavailable})
	e.proxy.Reset()

	start := time.Now()
	out := e.apply(rules, p, execute.Options{})
	if took := time.Since(start); took < 900*time.Millisecond {
		t.Errorf("apply took %s: the 429's Retry-After: 1 was not honoured", took)
	}

	everyStatusSet(t, out)
	wantStatus(t, out, repo, d["rate-limited"], retention.KindImage, retention.StatusDeleted, "")
	wantStatus(t, out, repo, d["unavailable-once"], retention.KindImage, retention.StatusDeleted, "")
	wantStatus(t, out, repo, d["unavailable"], retention.KindImage, retention.StatusFailed, "UNAVAILABLE")
	for tag, want := range map[string]int{"rate-limited": 2, "unavailable-once": 2, "unavailable": 3} {
		n := 0
		for _, ref := range deletes(e.proxy) {
			if ref == "app@"+d[tag] {
				n++
			}
		}
		if n != want {
			t.Errorf("%s: %d DELETE attempts, want %d", tag, n, want)
		}
	}
	for _, tag := range []string{"rate-limited", "unavailable-once"} {
		if e.exists("app", d[tag]) {
			t.Errorf("%s still exists", tag)
		}
	}
	if !e.exists("app", d["unavailable"]) {
		t.Errorf("the manifest whose DELETE failed is gone")
	}
	if out.Summary.DeletionsFailed != 1 {
		t.Errorf("summary: %d failed deletions, want 1", out.Summary.DeletionsFailed)
	}
}

// TestCancellation: cancelling the context (SIGINT, SIGTERM) stops new
// deletions; the one in flight finishes (its tag and its manifest), the
// rest are skipped with a reason, and the report is complete.
func TestCancellation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, registrytest.StartDistribution(t), oci.WithConcurrency(1))
	var entries []seed.Entry
	for i, tag := range []string{"old-1", "old-2", "old-3", "old-4"} {
		entries = append(entries, seed.Entry{Tag: tag, Created: daysAgo(40 - i)}, seed.Entry{Kind: seed.KindSignature, Of: tag})
	}
	d := e.seed("app", append(entries, seed.Entry{Tag: "keep-1", Created: daysAgo(5)})...)
	repo := e.repo("app")
	rules := keepRules(t, []string{repo}, "keep-*")
	p := e.plan(rules)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	e.proxy.Before(func(r *http.Request) {
		if r.Method == http.MethodDelete {
			once.Do(cancel)
		}
	})
	e.proxy.Reset()

	var last execute.Counts
	progress := func(c execute.Counts) {
		if c.Deleted < last.Deleted || c.Settled() != last.Settled()+1 {
			t.Errorf("progress went from %+v to %+v", last, c)
		}
		last = c
	}
	out := execute.Apply(ctx, e.client, rules, p, now, execute.Options{Concurrency: 1, Progress: progress})

	everyStatusSet(t, out)
	// The progress line counts what was done, and the skipped apart: an
	// interrupted run never looks finished.
	if s := out.Summary; last != (execute.Counts{Deleted: s.Deleted, Skipped: s.Skipped, Failed: s.DeletionsFailed, Total: s.Deleted + s.Skipped + s.DeletionsFailed}) {
		t.Errorf("last progress %+v, summary %d deleted, %d skipped, %d failed", last, s.Deleted, s.Skipped, s.DeletionsFailed)
	}
	var deleted []string
	for _, del := range repoPlan(t, out, repo).Deletions {
		switch del.Status {
		case retention.StatusDeleted:
			deleted = append(deleted, del.Digest)
		case retention.StatusSkipped:
			if !strings.Contains(del.Reason, "interrupted") {
				t.Errorf("%s %s skipped for %q, want an interruption", del.Kind, del.Digest, del.Reason)
			}
		default:
			t.Errorf("%s %s: status %q (error %q), want deleted or skipped", del.Kind, del.Digest, del.Status, del.Error)
		}
	}
	if len(deleted) != 1 {
		t.Fatalf("deleted %v, want exactly the deletion in flight when cancelled:\n%s", deleted, render(out))
	}
	got := deletes(e.proxy)
	if len(got) != 1 || got[0] != "app@"+deleted[0] {
		t.Errorf("DELETE requests %v, want the one of the manifest %s (which takes its tag)", got, deleted[0])
	}
	if e.exists("app", deleted[0]) {
		t.Errorf("the deletion in flight did not finish: %s exists", deleted[0])
	}
	if n := len(e.tags("app")); n != len(d)-1 {
		t.Errorf("%d tags left, want %d", n, len(d)-1)
	}
}
