package github_test

import (
	"context"
	"errors"
	"github.com/regprune/regprune/internal/fakeclock"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/execute"
	"github.com/regprune/regprune/retention/planner"
	"github.com/regprune/regprune/retention/registry/github"
	"github.com/regprune/regprune/retention/registry/oci"
)

const (
	token   = "ghp_classic"
	noscope = "ghp_readonly"
)

func emulator(t *testing.T) *registrytest.GHCR {
	return registrytest.NewGHCR(t, registrytest.WithGHCROrg("acme"),
		registrytest.WithGHCRToken(token, "octo", registrytest.TokenClassic, "read:packages", "write:packages", "delete:packages"),
		registrytest.WithGHCRToken(noscope, "octo", registrytest.TokenClassic, "read:packages"))
}

func client(t *testing.T, g *registrytest.GHCR, tok string) *github.Client {
	t.Helper()
	oci, err := oci.New([]retention.Registry{{Host: g.Host, Username: "octo", Password: retention.Secret(tok)}}, oci.WithRetry(0, time.Millisecond, time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	c, err := github.New(oci, github.Options{Host: g.Host, APIURL: g.APIURL, Token: tok, MinWait: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var auth = remote.WithAuth(&authn.Basic{Username: "octo", Password: token})

func rules(t *testing.T, cfg string, c retention.Config) *retention.Rules {
	t.Helper()
	r, err := c.Compile()
	if err != nil {
		t.Fatalf("%s: %v", cfg, err)
	}
	return r
}

// active returns the active versions' digests and tags.
func active(g *registrytest.GHCR, owner, pkg string) map[string][]string {
	out := map[string][]string{}
	for _, v := range g.Versions(owner, pkg) {
		if v.DeletedAt.IsZero() {
			out[v.Digest] = v.Tags
		}
	}
	return out
}

func TestPlanAndApplyOnGHCR(t *testing.T) {
	ctx := context.Background()
	g := emulator(t)
	repo := g.Repo("acme", "app")
	now := time.Now()
	idx, children := registrytest.PushIndex(t, repo+":v1", auth)
	old := registrytest.PushImage(t, repo+":old", auth)
	sig := registrytest.PushImage(t, repo+":sha256-"+strings.TrimPrefix(old, "sha256:")+".sig", auth)
	orphan := registrytest.PushUntagged(t, repo, auth)
	shared := registrytest.PushImage(t, repo+":keep", auth)
	r, _ := name.ParseReference(repo+":keep", name.Insecure)
	desc, _ := remote.Get(r, auth)
	if err := remote.Tag(r.Context().Tag("alias"), desc, auth); err != nil {
		t.Fatal(err)
	}
	for _, d := range append([]string{idx, old, sig, orphan, shared}, children...) {
		g.SetPushed("acme", "app", d, now.Add(-30*24*time.Hour))
	}
	c := client(t, g, token)
	rs := rules(t, "keep v1 and keep, untagged 0s", retention.Config{Policies: []retention.Policy{{
		Name: "app", Repositories: []string{repo}, Clock: "pushed",
		Keep:     []retention.KeepRule{{Tags: []string{"v1", "keep"}}},
		Untagged: &retention.UntaggedRule{},
	}}})
	g.ResetRequests()
	plan := planner.Plan(ctx, c, rs, now, planner.Options{})
	rp := plan.Repositories[0]
	if rp.Error != "" {
		t.Fatalf("plan failed: %s", rp.Error)
	}
	kinds := map[string]retention.Kind{}
	for _, d := range rp.Deletions {
		kinds[d.Digest] = d.Kind
	}
	want := map[string]retention.Kind{old: retention.KindImage, sig: retention.KindReferrer, orphan: retention.KindUntagged, shared: retention.KindTag}
	for d, k := range want {
		if kinds[d] != k {
			t.Errorf("deletion of %s: kind %q, want %q (plan %+v)", d, kinds[d], k, rp.Deletions)
		}
	}
	for _, ch := range children {
		if _, ok := kinds[ch]; ok {
			t.Errorf("the plan deletes %s, a child of the kept index v1", ch)
		}
	}
	// Planning read no tags/list and no tag by name over the OCI API.
	for _, req := range g.Requests() {
		if req.Side == "oci" && (strings.HasSuffix(req.Path, "/tags/list") || strings.Contains(req.Path, "/manifests/") && !strings.Contains(req.Path, "sha256:")) {
			t.Errorf("planning sent %s %s", req.Method, req.Path)
		}
	}

	g.ResetRequests()
	report := execute.Apply(ctx, c, rs, plan, now, execute.Options{})
	// One version DELETE per deletion, and one placeholder push for the
	// tag that goes alone: a manifest is never untagged before it goes.
	deletes, puts := 0, 0
	for _, req := range g.Requests() {
		switch {
		case req.Side == "rest" && req.Method == "DELETE":
			deletes++
		case req.Side == "oci" && req.Method == "PUT":
			puts++
		}
	}
	if deletes != 4 || puts != 1 {
		t.Errorf("apply sent %d version DELETEs and %d manifest PUTs, want 4 and 1", deletes, puts)
	}
	if s := report.Summary; s.DeletionsFailed != 0 || s.Deleted != 4 {
		t.Errorf("apply: %+v\n%+v", s, report.Repositories[0].Deletions)
	}
	got := active(g, "acme", "app")
	for _, d := range []string{old, sig, orphan} {
		if _, ok := got[d]; ok {
			t.Errorf("%s is still there", d)
		}
	}
	for _, d := range append([]string{idx}, children...) {
		if _, ok := got[d]; !ok {
			t.Errorf("%s (the kept index or its child) was deleted", d)
		}
	}
	if !slices.Equal(got[shared], []string{"keep"}) {
		t.Errorf("the shared image's tags: %v, want [keep]", got[shared])
	}
	if len(got) != 4 {
		t.Errorf("%d active versions, want 4 (a placeholder left behind?): %v", len(got), got)
	}
}

func TestDeleteRefusals(t *testing.T) {
	ctx := context.Background()
	g := emulator(t)
	repo := g.Repo("acme", "app")
	a := registrytest.PushImage(t, repo+":a", auth)
	b := registrytest.PushImage(t, repo+":b", auth)
	ro := client(t, g, noscope)
	if _, err := ro.List(ctx, repo, false, time.Now()); err != nil {
		t.Fatal(err)
	}
	err := ro.DeleteDigest(ctx, repo, a, nil)
	if !errors.Is(err, retention.ErrDenied) || !strings.Contains(err.Error(), "delete:packages") {
		t.Errorf("a token without delete:packages: %v", err)
	}
	if _, ok := active(g, "acme", "app")[a]; !ok {
		t.Error("the version went")
	}
	c := client(t, g, token)
	if err := c.DeleteDigest(ctx, repo, a, nil); err != nil {
		t.Fatal(err)
	}
	err = c.DeleteDigest(ctx, repo, b, nil)
	if err == nil || !strings.Contains(err.Error(), "delete the package instead") {
		t.Errorf("the last tagged version: %v", err)
	}
	bad := client(t, g, "nonsense")
	if _, err := bad.List(ctx, repo, false, time.Now()); err == nil || !strings.Contains(err.Error(), "the token is invalid or expired") {
		t.Errorf("a bad token: %v", err)
	}
}

func TestPagingAndRateLimits(t *testing.T) {
	ctx := context.Background()
	g := emulator(t)
	repo := g.Repo("acme", "app")
	for i := 0; i < 105; i++ {
		registrytest.PushUntagged(t, repo, auth)
	}
	registrytest.PushImage(t, repo+":v1", auth)
	c := client(t, g, token)
	g.FailNext(registrytest.GHCRFault{PathContains: "/versions", Status: 403, Secondary: true, RetryAfter: 0})
	g.FailNext(registrytest.GHCRFault{PathContains: "/versions", Status: 429, RemainingZero: true, ResetAt: time.Now()})
	l, err := c.List(ctx, repo, false, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Untagged) != 105 || len(l.Tags) != 1 {
		t.Errorf("listed %d untagged and %d tags, want 105 and 1", len(l.Untagged), len(l.Tags))
	}
	pages := 0
	for _, r := range g.Requests() {
		if r.Side == "rest" && strings.HasSuffix(r.Path, "/versions") && r.Status == 200 {
			pages++
			if !strings.Contains(r.RawQuery, "per_page=100") {
				t.Errorf("a page without per_page=100: %s", r.RawQuery)
			}
		}
	}
	if pages != 2 {
		t.Errorf("%d pages read, want 2", pages)
	}
}

// TestPacing deletes 20 versions on an emulator that
// enforces 60 points a minute per endpoint (12 DELETEs): the client's
// pacing at the same budget keeps every request under the limit, so
// GitHub never has to refuse one, and the time held back is reported.
func TestPacing(t *testing.T) {
	clock := fakeclock.New(time.Now())
	start := clock.Now()
	g := registrytest.NewGHCR(t, registrytest.WithGHCROrg("acme"), registrytest.WithGHCRClock(clock.Now), registrytest.WithGHCRPacing(60),
		registrytest.WithGHCRToken(token, "octo", registrytest.TokenClassic, "read:packages", "write:packages", "delete:packages"))
	repo := g.Repo("acme", "app")
	registrytest.PushImage(t, repo+":latest", auth)
	var digests []string
	for i := 0; i < 20; i++ {
		digests = append(digests, registrytest.PushUntagged(t, repo, auth))
	}
	oci, err := oci.New([]retention.Registry{{Host: g.Host, Username: "octo", Password: token}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := github.New(oci, github.Options{Host: g.Host, APIURL: g.APIURL, Token: token, MinWait: time.Millisecond,
		Pacing: &github.Pacing{PointsPerMinute: 60, Concurrency: 1}, Now: clock.Now, Sleep: clock.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := c.List(ctx, repo, false, clock.Now()); err != nil {
		t.Fatal(err)
	}
	// One at a time: the fake clock is exact only for one sleeper (the
	// bucket itself is x/time/rate's, safe for concurrent use).
	for _, d := range digests {
		if err := c.DeleteDigest(ctx, repo, d, nil); err != nil {
			t.Fatal(err)
		}
	}
	deletes := 0
	for _, r := range g.Requests() {
		if r.Side != "rest" {
			continue
		}
		if r.Status == 403 || r.Status == 429 {
			t.Errorf("GitHub had to refuse %s %s: the pacing let it over the limit", r.Method, r.Path)
		}
		if r.Method == "DELETE" {
			deletes++
		}
	}
	if deletes != 20 {
		t.Errorf("%d DELETEs, want 20", deletes)
	}
	paced, limited := c.Waited()
	if limited != 0 || paced < time.Minute {
		t.Errorf("waited %s paced and %s limited; want over a minute paced (20 DELETEs at 12 a minute) and nothing limited", paced, limited)
	}
	if elapsed := clock.Now().Sub(start); elapsed < time.Minute {
		t.Errorf("only %s passed on the clock", elapsed)
	}
}

// TestPlaceholderLeftByAFailedRun: a run whose placeholder deletion
// fails leaves the tag on the placeholder and says so; the next run
// recognises the placeholder, never ranks it (with clock: pushed it is
// the newest version), deletes it, and keeps what the rules keep.
func TestPlaceholderLeftByAFailedRun(t *testing.T) {
	ctx := context.Background()
	g := emulator(t)
	repo := g.Repo("acme", "app")
	now := time.Now()
	older := registrytest.PushImage(t, repo+":main-1", auth)
	shared := registrytest.PushImage(t, repo+":main-2", auth)
	r, _ := name.ParseReference(repo+":main-2", name.Insecure)
	desc, _ := remote.Get(r, auth)
	if err := remote.Tag(r.Context().Tag("pr-9"), desc, auth); err != nil {
		t.Fatal(err)
	}
	g.SetPushed("acme", "app", older, now.Add(-48*time.Hour))
	g.SetPushed("acme", "app", shared, now.Add(-24*time.Hour))
	c := client(t, g, token)
	rs := rules(t, "newest main-* 2", retention.Config{Policies: []retention.Policy{{
		Name: "app", Repositories: []string{repo}, Clock: "pushed",
		Keep: []retention.KeepRule{{Tags: []string{"main-*"}, Newest: 2}},
	}}})

	// The first run: the placeholder is pushed onto pr-9, and its
	// version's deletion fails.
	plan := planner.Plan(ctx, c, rs, now, planner.Options{})
	g.FailNext(registrytest.GHCRFault{Method: "DELETE", PathContains: "/versions/", Status: 422})
	report := execute.Apply(ctx, c, rs, plan, now, execute.Options{})
	if report.Summary.DeletionsFailed != 1 {
		t.Fatalf("the first run: %+v\n%+v", report.Summary, report.Repositories[0].Deletions)
	}
	var placeholder string
	for d, tags := range active(g, "acme", "app") {
		if slices.Equal(tags, []string{"pr-9"}) {
			placeholder = d
		}
	}
	if placeholder == "" {
		t.Fatalf("no placeholder holds pr-9: %v", active(g, "acme", "app"))
	}

	// The next run.
	now = now.Add(time.Hour)
	plan = planner.Plan(ctx, c, rs, now, planner.Options{})
	rp := plan.Repositories[0]
	var found bool
	for _, td := range rp.Tags {
		switch td.Tag {
		case "pr-9":
			found = true
			if td.Action != retention.Delete || !strings.Contains(strings.Join(td.Reasons, " "), "placeholder") {
				t.Errorf("pr-9 on the placeholder: %s %q", td.Action, td.Reasons)
			}
		case "main-1", "main-2":
			if td.Action != retention.Keep {
				t.Errorf("%s: %s %q; the placeholder must not take a place among the newest", td.Tag, td.Action, td.Reasons)
			}
		}
	}
	if !found {
		t.Fatalf("pr-9 is not in the plan: %+v", rp.Tags)
	}
	report = execute.Apply(ctx, c, rs, plan, now, execute.Options{})
	if s := report.Summary; s.DeletionsFailed != 0 || s.Deleted != 1 {
		t.Errorf("the next run: %+v\n%+v", s, report.Repositories[0].Deletions)
	}
	got := active(g, "acme", "app")
	if _, ok := got[placeholder]; ok || len(got) != 2 || !slices.Equal(got[shared], []string{"main-2"}) {
		t.Errorf("after the next run: %v, want main-1 and main-2 alone", got)
	}
}
