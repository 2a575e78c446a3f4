package execute_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/execute"
	"github.com/regprune/regprune/retention/planner"
	"github.com/regprune/regprune/retention/registry/oci"
	"github.com/regprune/regprune/retention/report"
)

// now is when every test plans and applies; seeded images are created
// days before it.
var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func daysAgo(n int) time.Time { return now.AddDate(0, 0, -n) }

// env is one registry behind a counting, fault-injecting proxy. The
// client under test goes through the proxy; seeding and end-state checks
// go straight to the registry, so they never show in the proxy's counts.
type env struct {
	t      *testing.T
	reg    *registrytest.Registry
	proxy  *registrytest.Proxy
	client *oci.Client
	direct *oci.Client
}

// fastRetry keeps retry tests quick: the real retry layer, tiny waits,
// and a Retry-After of up to 5s honoured.
func fastRetry() oci.Option {
	return oci.WithRetry(2, time.Millisecond, 5*time.Millisecond, 5*time.Second)
}

func newEnv(t *testing.T, reg *registrytest.Registry, opts ...oci.Option) *env {
	t.Helper()
	p := registrytest.NewProxy(t, reg)
	return &env{
		t:      t,
		reg:    reg,
		proxy:  p,
		client: newClient(t, nil, append([]oci.Option{oci.WithDeleteScope(), fastRetry()}, opts...)...),
		direct: newClient(t, nil, oci.WithDeleteScope(), fastRetry()),
	}
}

func distribution(t *testing.T, opts ...registrytest.Option) *env {
	t.Helper()
	return newEnv(t, registrytest.StartDistribution(t, opts...))
}

// repo is the full name of repository name as the client sees it.
func (e *env) repo(name string) string { return e.proxy.Repo(name) }

// seed pushes a history straight to the registry and returns the digest
// of every tag.
func (e *env) seed(name string, entries ...seed.Entry) map[string]string {
	e.t.Helper()
	d, err := seed.History(context.Background(), e.reg.Repo(name), entries)
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

// push pushes m under name:tag straight to the oci.
func (e *env) push(name, tag string, m seed.Pushable) string {
	e.t.Helper()
	d, err := seed.Push(context.Background(), e.reg.Repo(name)+":"+tag, m)
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

// tag points name:tag at digest, straight on the oci.
func (e *env) tag(name, tag, digest string) {
	e.t.Helper()
	if err := seed.Tag(context.Background(), e.reg.Repo(name)+":"+tag, digest); err != nil {
		e.t.Fatal(err)
	}
}

func image(t *testing.T, created time.Time) seed.Pushable {
	t.Helper()
	img, err := seed.Image(created)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// plan plans with the client under test, through the proxy.
func (e *env) plan(rules *retention.Rules) *retention.Plan {
	e.t.Helper()
	p := planner.Plan(context.Background(), e.client, rules, now, planner.Options{})
	for _, rp := range p.Repositories {
		if rp.Error != "" {
			e.t.Fatalf("planning %s: %s", rp.Repository, rp.Error)
		}
	}
	return p
}

// apply applies p as the job package does: the gate plans each
// repository afresh with the planner.
func (e *env) apply(rules *retention.Rules, p *retention.Plan, o execute.Options) *retention.Plan {
	e.t.Helper()
	if o.Replan == nil {
		o.Replan = replanner(e.client, rules)
	}
	return execute.Apply(context.Background(), e.client, rules, p, now, o)
}

// replanner is the job package's Replanner over l.
func replanner(l planner.Lister, rules *retention.Rules) execute.Replanner {
	return func(ctx context.Context, repo string, now time.Time) (retention.Listing, retention.RepoPlan, time.Time, error) {
		l, rp, err := planner.Repository(ctx, l, rules, repo, now)
		return l, rp, time.Time{}, err
	}
}

// tags returns the tags of name as the registry lists them now, sorted.
func (e *env) tags(name string) []string {
	e.t.Helper()
	ts, err := e.direct.ListTags(context.Background(), e.reg.Repo(name))
	if err != nil && !errors.Is(err, oci.ErrRepositoryNotFound) {
		e.t.Fatal(err)
	}
	slices.Sort(ts)
	return ts
}

// resolve returns the digest name:tag points at now, "" when it does not
// exist.
func (e *env) resolve(name, tag string) string {
	e.t.Helper()
	d, err := e.direct.HeadTag(context.Background(), e.reg.Repo(name), tag)
	if errors.Is(err, oci.ErrNotFound) {
		return ""
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

func (e *env) exists(name, digest string) bool {
	e.t.Helper()
	ok, err := e.direct.Exists(context.Background(), e.reg.Repo(name), digest)
	if err != nil {
		e.t.Fatal(err)
	}
	return ok
}

// keepPolicy governs every tag of repos and keeps those matching keep.
func keepPolicy(repos []string, keep ...string) retention.Policy {
	return retention.Policy{Name: "p", Repositories: repos, Keep: []retention.KeepRule{{Tags: keep}}}
}

func compile(t *testing.T, c retention.Config) *retention.Rules {
	t.Helper()
	r, err := c.Compile()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// keepRules keeps the tags of repos matching keep and deletes the rest.
func keepRules(t *testing.T, repos []string, keep ...string) *retention.Rules {
	t.Helper()
	return compile(t, retention.Config{Policies: []retention.Policy{keepPolicy(repos, keep...)}})
}

// deletion returns the deletion of digest (of kind, "" for any) in the
// plan's repository repo, failing the test when there is none.
func deletion(t *testing.T, p *retention.Plan, repo, digest string, kind retention.Kind) *retention.Deletion {
	t.Helper()
	for i := range p.Repositories {
		rp := &p.Repositories[i]
		if rp.Repository != repo {
			continue
		}
		for j := range rp.Deletions {
			d := &rp.Deletions[j]
			if d.Digest == digest && (kind == "" || d.Kind == kind) {
				return d
			}
		}
	}
	t.Fatalf("no %s deletion of %s in %s; plan:\n%s", kind, digest, repo, render(p))
	return nil
}

func repoPlan(t *testing.T, p *retention.Plan, repo string) *retention.RepoPlan {
	t.Helper()
	for i := range p.Repositories {
		if p.Repositories[i].Repository == repo {
			return &p.Repositories[i]
		}
	}
	t.Fatalf("no repository %s in the plan:\n%s", repo, render(p))
	return nil
}

// wantStatus checks a deletion's outcome; reason, if set, must occur in
// its Reason (skipped) or Error (failed).
func wantStatus(t *testing.T, p *retention.Plan, repo, digest string, kind retention.Kind, status retention.Status, reason string) {
	t.Helper()
	d := deletion(t, p, repo, digest, kind)
	if d.Status != status {
		t.Errorf("%s %s: status %q (reason %q, error %q), want %q\nreport:\n%s", d.Kind, digest, d.Status, d.Reason, d.Error, status, render(p))
		return
	}
	if reason != "" && !strings.Contains(d.Reason+d.Error, reason) {
		t.Errorf("%s %s: reason %q error %q, want it to mention %q", d.Kind, digest, d.Reason, d.Error, reason)
	}
}

// everyStatusSet checks that the report is complete.
func everyStatusSet(t *testing.T, p *retention.Plan) {
	t.Helper()
	for _, rp := range p.Repositories {
		for _, d := range rp.Deletions {
			if d.Status == "" {
				t.Errorf("%s: %s deletion of %s has no status", rp.Repository, d.Kind, d.Digest)
			}
			if d.Status == retention.StatusSkipped && d.Reason == "" {
				t.Errorf("%s: %s deletion of %s skipped without a reason", rp.Repository, d.Kind, d.Digest)
			}
			if d.Status == retention.StatusFailed && d.Error == "" {
				t.Errorf("%s: %s deletion of %s failed without an error", rp.Repository, d.Kind, d.Digest)
			}
		}
	}
}

func render(p *retention.Plan) string {
	var b bytes.Buffer
	_ = report.Write(&b, p, report.Text)
	return b.String()
}

// deletes returns the DELETE requests the proxy answered, as
// "<name>@<ref>" (ref a tag or a digest), in order of arrival.
func deletes(p *registrytest.Proxy) []string {
	var out []string
	for _, r := range p.Requests() {
		if r.Method != http.MethodDelete {
			continue
		}
		out = append(out, deleteRef(r.Path))
	}
	return out
}

func deleteRef(path string) string {
	name, ref, _ := strings.Cut(strings.TrimPrefix(path, "/v2/"), "/manifests/")
	return name + "@" + ref
}

// isKind matches requests of kind and method for repository name.
func isKind(method string, kind registrytest.Kind, name string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		return registrytest.Classify(r) == kind && (method == "" || r.Method == method) &&
			strings.HasPrefix(r.URL.Path, "/v2/"+name+"/")
	}
}

// isDelete matches the DELETE of name@ref.
func isDelete(name, ref string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		return r.Method == http.MethodDelete && r.URL.Path == "/v2/"+name+"/manifests/"+ref
	}
}

// roundTrip saves p as JSON and reads it back, as `regprune plan -o json`
// and `regprune apply --plan` do.
func roundTrip(t *testing.T, p *retention.Plan) *retention.Plan {
	t.Helper()
	var b bytes.Buffer
	if err := report.Write(&b, p, report.JSON); err != nil {
		t.Fatal(err)
	}
	out, err := report.ReadPlan(&b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustHash(t *testing.T, digest string) v1.Hash {
	t.Helper()
	h, err := v1.NewHash(digest)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// newClient is oci.New for tests: an option it refuses fails the
// test.
func newClient(t testing.TB, regs []retention.Registry, opts ...oci.Option) *oci.Client {
	t.Helper()
	c, err := oci.New(regs, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
