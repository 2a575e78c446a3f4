// Package execute carries out a retention plan: it checks the safety
// brake, re-reads each repository right before deleting, cancels every
// deletion that the registry's present state or the rules no longer
// allow, and deletes in an order that is safe on every registry.
package execute

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/regprune/regprune/internal/pool"
	"github.com/regprune/regprune/retention"
)

// Registry is what the executor needs from a registry client.
type Registry interface {
	ListTags(ctx context.Context, repo string) ([]string, error)
	// ResolveTag returns the digest and media type a tag points at now,
	// as the registry's HEAD states them.
	ResolveTag(ctx context.Context, repo, tag string) (digest, mediaType string, err error)
	// ReadTag is ResolveTag from the manifest itself: a GET, its body
	// hashed (the rule the plan's listing uses).
	ReadTag(ctx context.Context, repo, tag string) (digest, mediaType string, err error)
	// Children lists the manifests of an index.
	Children(ctx context.Context, repo, digest string) ([]v1.Descriptor, error)
	Exists(ctx context.Context, repo, digest string) (bool, error)
	// RawManifest reads a manifest's bytes, checked against its digest
	// (from a cache only by that hash): the gate reads each manifest it
	// lets go, and restore's record keeps them.
	RawManifest(ctx context.Context, repo, digest string) ([]byte, string, error)
	DeleteTag(ctx context.Context, repo, tag string) error
	// DeleteDigest deletes a manifest with the tags the gate found on it
	// right before (a provider that deletes tags itself deletes exactly
	// these).
	DeleteDigest(ctx context.Context, repo, digest string, tags []string) error
}

// Budgeter is a registry that limits manifest reads (Docker Hub counts
// each manifest GET as a pull): before the gate reads the manifests a
// repository's deletions would delete, apply asks whether reading
// digests (each once) fits. They are named, not counted, so that the
// registry leaves out what it serves without a request (read earlier
// in the run, or cached). An error stops the repository, with nothing
// deleted and the error as its reason. The job package's Router is one.
type Budgeter interface {
	ReadBudget(ctx context.Context, repo string, digests []string) error
}

// Options tune an apply run.
type Options struct {
	// MaxDeletions aborts the run before the first deletion when the plan
	// deletes more tagged manifests by digest. 0: no limit.
	MaxDeletions int
	// Saved says the plan was read from a file rather than computed just
	// now: every tag of a repository is then re-resolved before its
	// manifests are deleted, since any of them may have moved since.
	Saved bool
	// Concurrency bounds deletions in flight per phase of a repository and
	// repositories in flight. Default retention.DefaultConcurrency.
	Concurrency int
	// Logger receives progress; default discards.
	Logger *slog.Logger
	// Progress, when set, is called as each deletion is settled
	// (carried out, skipped or failed), with the counts so far. Calls
	// may come from several goroutines; the counts never go back.
	Progress func(Counts)
	// VerifyWindow is the most time between the first request of a
	// resolution of every tag of a repository and a deletion's request
	// that relies on it: an older one is made again first (a round). A
	// repository whose one resolution takes this long deletes nothing.
	// Default DefaultVerifyWindow.
	VerifyWindow time.Duration
	// Replan, when set, plans a repository afresh under the rules in
	// force when apply starts on it: every deletion must be one that plan
	// makes too (see Replanner). A saved plan, or a journal's pending
	// entries, are applied only with it. The job package always sets it.
	Replan Replanner
	// DeleteAttempts bounds how often one request of a deletion is sent
	// when the registry answers that it may be sent again (429, 5xx, a
	// dropped connection), each time through the gate again. Default 3.
	DeleteAttempts int
	// DeleteBackoff is the wait before the second attempt when the
	// registry names none, doubled each time. Default 250 ms.
	DeleteBackoff time.Duration
	// ReadAt, when set, says when each repository was last read (by a
	// plan of this process): apply starts with the repositories read
	// last, whose reads are the freshest.
	ReadAt func(repo string) time.Time
	// Clock tells the time the window is measured on; default time.Now.
	Clock func() time.Time
	// noGate turns the gate off, for the tests that prove it is what
	// stops the wrong deletions (export_test.go).
	noGate bool
	// Journal, when set, records each repository's deletions before the
	// first DELETE and settles them as they are done; what an earlier
	// run left pending is finished first.
	Journal Journal
	// Recorder, with RunID, keeps every manifest before its deletion,
	// for restore (the registry must be a RawReader).
	Recorder Recorder
	RunID    string
}

// DefaultVerifyWindow bounds how old the resolution a deletion relies on
// may be: a tag pushed onto a to-be-deleted digest more than this before
// its DELETE is seen, and saves it.
const DefaultVerifyWindow = 10 * time.Second

// Apply executes plan and returns the report: the plan in mode "apply",
// every deletion with its status. It never returns an error: what failed
// is in the report (repository errors, failed deletions), and an exceeded
// brake sets Aborted with nothing deleted.
//
// When ctx is cancelled (SIGINT, SIGTERM), deletions not yet started are
// skipped and those in flight finish.
func Apply(ctx context.Context, reg Registry, rules *retention.Rules, plan *retention.Plan, now time.Time, o Options) *retention.Plan {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.VerifyWindow <= 0 {
		o.VerifyWindow = DefaultVerifyWindow
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.DeleteAttempts <= 0 {
		o.DeleteAttempts = 3
	}
	if o.DeleteBackoff <= 0 {
		o.DeleteBackoff = 250 * time.Millisecond
	}
	if o.Concurrency <= 0 {
		o.Concurrency = retention.DefaultConcurrency
	}
	out := copyPlan(plan)
	out.Mode = retention.ModeApply
	out.DryRun = false

	progress := newProgress(out, o)
	shared := &runState{}
	runs := make([]*repoRun, len(out.Repositories))
	for i := range out.Repositories {
		runs[i] = newRepoRun(reg, rules, now, o, &out.Repositories[i], progress, shared)
	}
	recovering := admitPending(ctx, runs, o)
	if n := CountManifests(out) + recovering; o.MaxDeletions > 0 && n > o.MaxDeletions {
		out.Aborted = fmt.Sprintf("safety abort: the plan deletes %d tagged manifests (%d of them left pending by an interrupted run), more than maxDeletions %d; nothing was deleted (raise maxDeletions or review the policies)", n, recovering, o.MaxDeletions)
		o.Logger.Error("safety abort", "manifests", n, "pending", recovering, "maxDeletions", o.MaxDeletions)
		for i := range out.Repositories {
			out.Repositories[i].SkipPending("safety abort: maxDeletions exceeded")
		}
		out.Summarize()
		return out
	}
	// Every repository runs, and records its own outcome (an interrupted
	// one skips what it did not start), so the pool is never cut short.
	order := freshestFirst(out, o.ReadAt)
	_ = pool.Each(context.WithoutCancel(ctx), o.Concurrency, len(runs), func(_ context.Context, i int) error {
		runs[order[i]].run(ctx)
		return nil
	})
	out.Summarize()
	return out
}

// newProgress returns what each settled deletion reports to o.Progress.
func newProgress(out *retention.Plan, o Options) func(retention.Status) {
	progress := func(retention.Status) {}
	if o.Progress != nil {
		c := Counts{}
		for _, rp := range out.Repositories {
			c.Total += len(rp.Deletions)
		}
		var mu sync.Mutex
		progress = func(s retention.Status) {
			mu.Lock()
			defer mu.Unlock()
			c.add(s)
			o.Progress(c)
		}
	}
	return progress
}

// CountManifests counts what maxDeletions limits: manifests deleted by
// digest that a listed tag pointed at (images and indexes), untagged
// manifests deleted by an untagged rule, and tagged
// attachments deleted as orphans (their subject is not deleted by this
// plan: it was found missing). Tag-only deletions, index children and
// attachments that follow a subject this plan deletes do not count: the
// subject was counted.
func CountManifests(p *retention.Plan) int {
	n := 0
	for _, rp := range p.Repositories {
		deleted := map[string]bool{}
		for _, d := range rp.Deletions {
			if d.Kind == retention.KindImage || d.Kind == retention.KindIndex || d.Kind == retention.KindChild {
				deleted[d.Digest] = true
			}
		}
		for _, d := range rp.Deletions {
			switch {
			case d.Kind == retention.KindImage || d.Kind == retention.KindIndex || d.Kind == retention.KindUntagged:
				n++
			case d.Kind == retention.KindReferrer && len(d.Tags) > 0 && !deleted[d.Parent]:
				n++
			}
		}
	}
	return n
}

// DryRun returns the plan in apply's format without executing it; the
// brake is still checked, so a dry run shows an abort too.
func DryRun(plan *retention.Plan, maxDeletions int) *retention.Plan {
	out := copyPlan(plan)
	out.Mode = retention.ModeApply
	out.DryRun = true
	if n := CountManifests(out); maxDeletions > 0 && n > maxDeletions {
		out.Aborted = fmt.Sprintf("safety abort: the plan deletes %d tagged manifests, more than maxDeletions %d; apply would delete nothing", n, maxDeletions)
	}
	out.Summarize()
	return out
}

// copyPlan clones the plan for the report, every repository with a
// deletions list (empty rather than null in JSON).
func copyPlan(p *retention.Plan) *retention.Plan {
	out := p.Clone()
	for i := range out.Repositories {
		if out.Repositories[i].Deletions == nil {
			out.Repositories[i].Deletions = []retention.Deletion{}
		}
	}
	return out
}

// freshestFirst orders the repositories of p for apply: those read most
// recently first (readAt), the plan's order otherwise.
func freshestFirst(p *retention.Plan, readAt func(string) time.Time) []int {
	order := make([]int, len(p.Repositories))
	for i := range order {
		order[i] = i
	}
	if readAt == nil {
		return order
	}
	at := make([]time.Time, len(order))
	for i, rp := range p.Repositories {
		at[i] = readAt(rp.Repository)
	}
	sort.SliceStable(order, func(a, b int) bool { return at[order[a]].After(at[order[b]]) })
	return order
}
