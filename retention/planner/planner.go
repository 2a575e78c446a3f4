// Package planner runs the read-only half of regprune: it expands the
// policies into repositories, lists each one through a Lister, and has the
// pure retention.Decide turn every listing into a plan.
package planner

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/regprune/regprune/internal/pool"
	"github.com/regprune/regprune/retention"
)

// Lister is what the planner needs from a registry provider: the names
// of a host's repositories (for globs) and what one repository holds.
type Lister interface {
	Cataloger
	// List reads one repository; needTime asks for creation times.
	List(ctx context.Context, repo string, needTime bool, now time.Time) (retention.Listing, error)
}

// Options tune a planning run.
type Options struct {
	// Concurrency bounds how many repositories are listed at once; the
	// registry client bounds requests. Default retention.DefaultConcurrency.
	Concurrency int
	// Logger receives progress; default discards.
	Logger *slog.Logger
	// Shard restricts the run to the repositories this shard owns.
	Shard Shard
	// Progress, when set, is called as repositories finish, with the
	// tags planned so far.
	Progress func(done, total, tags int)
	// Listed, when set, is given each repository planned without error:
	// when its listing began (its first request), the listing and its
	// plan. Apply's gate may take such a read as its first resolution
	// while it is younger than verifyWindow.
	Listed func(repo string, began time.Time, l retention.Listing, rp retention.RepoPlan)
	// Clock tells Listed's times; default time.Now.
	Clock func() time.Time
}

// Plan lists and decides every repository the rules name. A repository
// that cannot be listed gets an Error and no deletions; the others are
// planned as usual.
func Plan(ctx context.Context, l Lister, rules *retention.Rules, now time.Time, o Options) *retention.Plan {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	workers := o.Concurrency
	if workers <= 0 {
		workers = retention.DefaultConcurrency
	}
	p := &retention.Plan{SchemaVersion: retention.SchemaVersion, Mode: retention.ModePlan, GeneratedAt: now.UTC(), Repositories: []retention.RepoPlan{}}

	all, err := Expand(ctx, l, rules)
	var failures []retention.RepoPlan
	if err != nil {
		failures = expansionFailures(rules, err)
		for _, rp := range failures {
			if o.Shard.Owns(rp.Repository) {
				p.Repositories = append(p.Repositories, rp)
			}
		}
	}
	var repos []string
	seen := map[string]string{}
	for _, r := range all {
		// One repository written two ways (localhost:5000/a and
		// 127.0.0.1:5000/a) is planned once, under its first spelling;
		// the policies of both govern it (retention.CanonicalHost).
		if first, dup := seen[retention.CanonicalName(r)]; dup {
			log.Info("same repository under two spellings; planned once", "repository", first, "alias", r)
			continue
		}
		seen[retention.CanonicalName(r)] = r
		if o.Shard.Owns(r) {
			repos = append(repos, r)
		}
	}
	if o.Shard.Count > 1 {
		log.Info("sharded run", "shard", o.Shard.String(), "repositories", len(repos), "of", len(all))
	}
	var done, tags atomic.Int64
	fl := &failLog{log: log}
	results := make([]retention.RepoPlan, len(repos))
	// Every repository gets a plan entry (an interrupted listing is a
	// failed one), so the pool is never cut short.
	_ = pool.Each(context.WithoutCancel(ctx), workers, len(repos), func(_ context.Context, i int) error {
		results[i] = planOne(ctx, l, rules, repos[i], now, log, fl, o.listed())
		if o.Progress != nil {
			o.Progress(int(done.Add(1)), len(repos), int(tags.Add(int64(len(results[i].Tags)))))
		}
		return nil
	})
	p.Repositories = append(p.Repositories, results...)
	sort.SliceStable(p.Repositories, func(i, j int) bool { return p.Repositories[i].Repository < p.Repositories[j].Repository })
	p.Summarize()
	p.Warnings = unmatched(rules, all, append(slices.Clone(p.Repositories), failures...), o.Shard, log)
	return p
}

// unmatched judges which policies reached nothing (retention.Unmatched):
// their repositories on the whole expansion, which every shard makes, and
// their tag selectors on the repositories this shard listed. Each
// warning is logged.
func unmatched(rules *retention.Rules, all []string, plans []retention.RepoPlan, s Shard, log *slog.Logger) []retention.Warning {
	shard := ""
	if s.Count > 1 {
		shard = s.String()
	}
	ws := retention.Unmatched(rules, all, plans, shard)
	for _, w := range ws {
		attrs := []any{"policy", w.Policy, "key", w.Key, "kind", w.Kind}
		if w.Shard != "" {
			attrs = append(attrs, "shard", w.Shard)
		}
		log.Warn(w.Message, attrs...)
	}
	return ws
}

func planOne(ctx context.Context, l Lister, rules *retention.Rules, repo string, now time.Time, log *slog.Logger, fl *failLog, listed *listedHook) retention.RepoPlan {
	log.Debug("listing", "repository", repo)
	var began time.Time
	if listed != nil {
		began = listed.clock()
	}
	listing, rp, err := Repository(ctx, l, rules, repo, now)
	var rerr *referrersError
	switch {
	case errors.As(err, &rerr):
		log.Error("listing referrers failed; nothing in this repository will be deleted", "repository", repo, "error", rerr.err)
		return rp
	case err != nil:
		return fl.failed(repo, rules, err)
	}
	log.Info("planned", "repository", repo, "tags", len(rp.Tags), "deletions", len(rp.Deletions))
	if listed != nil {
		listed.fn(repo, began, listing, rp)
	}
	return rp
}

// listedHook is Options.Listed with its clock.
type listedHook struct {
	fn    func(string, time.Time, retention.Listing, retention.RepoPlan)
	clock func() time.Time
}

func (o Options) listed() *listedHook {
	if o.Listed == nil {
		return nil
	}
	clock := o.Clock
	if clock == nil {
		clock = time.Now
	}
	return &listedHook{fn: o.Listed, clock: clock}
}

// Repository lists and decides one repository as Plan does (reading the
// manifests of a shallow listing that deletes something, and the
// referrers of what it deletes), returning the listing too. The
// executor's gate plans each repository afresh with it when apply starts
// there. A failure to list referrers returns the plan failed (Fail) and
// an error.
func Repository(ctx context.Context, l Lister, rules *retention.Rules, repo string, now time.Time) (retention.Listing, retention.RepoPlan, error) {
	listing, err := l.List(ctx, repo, rules.NeedsTime(repo), now)
	if err != nil {
		return listing, retention.RepoPlan{}, err
	}
	rp := retention.Decide(now, rules, listing)
	if listing.Shallow && len(rp.Deletions) > 0 {
		// Decided without reading manifests: nothing is deleted until
		// their children and subjects are known.
		d, ok := l.(Deepener)
		if !ok {
			return listing, rp, errors.New("the lister returned a shallow listing and cannot read its manifests")
		}
		if listing, err = d.Deepen(ctx, listing, toRead(rules, listing, rp), now); err != nil {
			return listing, rp, err
		}
		rp = retention.Decide(now, rules, listing)
	}
	if rl, ok := l.(ReferrerLister); ok && len(rp.Deletions) > 0 {
		if err := addReferrers(ctx, rl, listing, &rp); err != nil {
			Fail(&rp, err)
			return listing, rp, &referrersError{err}
		}
	}
	return listing, rp, nil
}

// referrersError: the listing was read, its referrers could not be.
type referrersError struct{ err error }

func (e *referrersError) Error() string { return "listing referrers: " + e.err.Error() }
func (e *referrersError) Unwrap() error { return e.err }

// failLog logs the repositories that could not be listed, and says an
// authentication failure once per registry: every repository of a
// registry whose credentials are refused fails the same way, and the
// report lists each of them.
type failLog struct {
	log    *slog.Logger
	denied sync.Map // canonical host -> true
}

// failed is the plan of a repository that could not be listed.
func (fl *failLog) failed(repo string, rules *retention.Rules, err error) retention.RepoPlan {
	host := retention.CanonicalHost(retention.Host(repo))
	if !errors.Is(err, retention.ErrDenied) {
		fl.log.Error("listing failed; nothing in this repository will be deleted", "repository", repo, "error", err)
	} else if _, seen := fl.denied.LoadOrStore(host, true); !seen {
		fl.log.Error("authentication to "+host+" failed; nothing in its repositories will be deleted (each is in the report)", "registry", host, "repository", repo, "error", err)
	} else {
		fl.log.Debug("listing failed: authentication", "repository", repo, "error", err)
	}
	rp := retention.RepoPlan{Repository: repo, Error: err.Error(), Policies: []string{}, Tags: []retention.TagDecision{}, Deletions: []retention.Deletion{}}
	for _, p := range rules.PoliciesFor(repo) {
		rp.Policies = append(rp.Policies, p.Name)
	}
	return rp
}

// Deepener reads the manifests of a shallow listing (one a provider
// built from its API alone: subjects unknown, and media types and
// children unless its API gives them). want names the manifests a plan
// of the shallow listing deletes by digest, which must be read before
// anything is deleted; nil asks for every manifest. A provider whose
// listing carries every tag's media type and an index's children
// (Docker Hub's images[]) reads want alone, where each read costs (a
// pull); the others may read every manifest.
type Deepener interface {
	Deepen(ctx context.Context, l retention.Listing, want []string, now time.Time) (retention.Listing, error)
}

// toRead returns the manifests a plan of a shallow listing needs read
// before it deletes anything: those it deletes by digest (their subjects
// and children decide how they go, and a tagged referrer of a kept
// manifest stays with it), or nil, every manifest, where an untagged
// rule decides untagged manifests (what stays, and the subjects of what
// stays, keep them).
func toRead(rules *retention.Rules, l retention.Listing, rp retention.RepoPlan) []string {
	if _, ok := rules.UntaggedRule(append([]string{l.Repository}, l.Aliases...)...); ok && l.ListsUntagged && len(l.Untagged) > 0 {
		return nil
	}
	want := []string{}
	seen := map[string]bool{}
	for _, d := range rp.Deletions {
		if d.Kind != retention.KindTag && !seen[d.Digest] {
			seen[d.Digest] = true
			want = append(want, d.Digest)
		}
	}
	return want
}

// expansionFailures reports each failed expansion (a catalog that could
// not be listed) as a failed entry named by its pattern, so that it shows
// in every output format and sets the exit code.
func expansionFailures(rules *retention.Rules, err error) []retention.RepoPlan {
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	var out []retention.RepoPlan
	for _, e := range errs {
		name := "(catalog)"
		var ee *ExpandError
		if errors.As(e, &ee) {
			name = ee.Pattern
		}
		rp := retention.RepoPlan{Repository: name, Error: e.Error(), Policies: []string{}, Tags: []retention.TagDecision{}, Deletions: []retention.Deletion{}}
		for _, p := range rules.Policies {
			if _, ok := p.Repositories.Match(name); ok {
				rp.Policies = append(rp.Policies, p.Name)
			}
		}
		out = append(out, rp)
	}
	return out
}

// Fail marks a planned repository as failed: it gets the error, loses its
// deletions, and every tag it would have deleted is kept with a reason.
func Fail(rp *retention.RepoPlan, err error) {
	rp.Error = err.Error()
	rp.Deletions = []retention.Deletion{}
	for i := range rp.Tags {
		td := &rp.Tags[i]
		if td.Action == retention.Delete {
			td.Action = retention.Keep
			td.Reasons = append(td.Reasons, "kept: nothing is deleted in a repository that failed")
		}
	}
}
