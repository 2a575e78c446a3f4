package dockerhub_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/execute"
	"github.com/regprune/regprune/retention/planner"
	"github.com/regprune/regprune/retention/registry/dockerhub"
	"github.com/regprune/regprune/retention/registry/oci"
)

func client(t *testing.T, h *registrytest.Hub, secret string) *dockerhub.Client {
	t.Helper()
	oci, err := oci.New([]retention.Registry{{Host: h.Host, Insecure: true}}, oci.WithRetry(0, time.Millisecond, time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	return dockerhub.New(oci, dockerhub.Options{APIURL: h.APIURL, Username: "acme", Secret: secret, MinWait: time.Millisecond})
}

func compile(t *testing.T, c retention.Config) *retention.Rules {
	t.Helper()
	r, err := c.Compile()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestPlanAndApplyOnHub: the tags come from the Hub API with their push
// times, no manifest is read for clock: pushed until something is to be
// deleted, a manifest is deleted by removing its tags through the Hub
// API and then its digest over the OCI API, and a tag that goes alone is
// one Hub API DELETE.
func TestPlanAndApplyOnHub(t *testing.T) {
	ctx := context.Background()
	h := registrytest.NewHub(t)
	repo := h.Repo("acme", "app")
	now := time.Now()
	old := registrytest.PushImage(t, repo+":v1")
	mid := registrytest.PushImage(t, repo+":v2")
	registrytest.PushImage(t, repo+":v3")
	r, _ := name.ParseReference(repo+":v3", name.Insecure)
	desc, _ := remote.Get(r)
	if err := remote.Tag(r.Context().Tag("edge"), desc); err != nil {
		t.Fatal(err)
	}
	h.SetTimes("acme", "app", "v1", now.Add(-30*24*time.Hour), time.Time{})
	h.SetTimes("acme", "app", "v2", now.Add(-20*24*time.Hour), time.Time{})
	h.SetTimes("acme", "app", "v3", now.Add(-time.Hour), time.Time{})
	h.SetTimes("acme", "app", "edge", now.Add(-time.Hour), time.Time{})
	c := client(t, h, "dckr_pat_test")
	rules := compile(t, retention.Config{Policies: []retention.Policy{
		{Repositories: []string{repo}, Tags: []string{"v*"}, Clock: retention.ClockPushed, Keep: []retention.KeepRule{{Newest: 1}}},
		{Repositories: []string{repo}, Tags: []string{"edge"}, Keep: []retention.KeepRule{{Tags: []string{"nothing"}}}},
	}})
	plan := planner.Plan(ctx, c, rules, now, planner.Options{})
	rp := plan.Repositories[0]
	if rp.Error != "" {
		t.Fatalf("plan: %s", rp.Error)
	}
	kinds := map[string]retention.Kind{}
	for _, d := range rp.Deletions {
		kinds[d.Digest] = d.Kind
	}
	if kinds[old] != retention.KindImage || kinds[mid] != retention.KindImage || len(kinds) != 3 {
		t.Fatalf("planned %v", rp.Deletions)
	}
	report := execute.Apply(ctx, c, rules, plan, now, execute.Options{})
	if s := report.Summary; s.DeletionsFailed != 0 || s.Deleted != 3 {
		t.Fatalf("apply: %+v %+v", s, report.Repositories[0].Deletions)
	}
	tags := h.Tags("acme", "app")
	if len(tags) != 1 || tags["v3"].Digest == "" {
		t.Errorf("tags left: %v, want v3 alone", tags)
	}
	var hubDeletes, ociDeletes int
	for _, req := range h.Requests() {
		switch {
		case req.Method != http.MethodDelete:
		case req.Side == "api":
			hubDeletes++
		case strings.Contains(req.Path, "sha256:") && req.Status == http.StatusAccepted:
			ociDeletes++
		default:
			t.Errorf("unexpected %s %s %s: %d", req.Side, req.Method, req.Path, req.Status)
		}
	}
	if hubDeletes != 3 || ociDeletes != 2 {
		t.Errorf("%d Hub tag DELETEs and %d digest DELETEs, want 3 and 2", hubDeletes, ociDeletes)
	}
	for _, d := range []string{old, mid} {
		if ok, _ := c.Exists(ctx, repo, d); ok {
			t.Errorf("%s is still there", d)
		}
	}
}

// TestHubAuthAndLimits: an expired token is renewed and the run goes
// on; wrong credentials fail the repository naming them; a 429 is waited
// out and reported.
func TestHubAuthAndLimits(t *testing.T) {
	ctx := context.Background()
	clock := time.Now()
	h := registrytest.NewHub(t, registrytest.WithHubTokenTTL(time.Minute), registrytest.WithHubClock(func() time.Time { return clock }))
	repo := h.Repo("acme", "app")
	registrytest.PushImage(t, repo+":v1")
	c := client(t, h, "dckr_pat_test")
	if _, err := c.ListTags(ctx, repo); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(2 * time.Minute) // the token has expired
	h.FailNext(registrytest.HubFault{PathContains: "/tags", Status: 429, RetryAfter: 1})
	tags, err := c.ListTags(ctx, repo)
	if err != nil || len(tags) != 1 {
		t.Fatalf("after expiry and a 429: %v %v", tags, err)
	}
	if _, limited := c.Waited(); limited != time.Second {
		t.Errorf("waited %s, want 1s", limited)
	}
	// Older deployments say when, as a unix time, in X-Retry-After.
	h.FailNext(registrytest.HubFault{PathContains: "/tags", Status: 429, XRetryAfter: time.Now().Add(2 * time.Second)})
	if _, err := c.ListTags(ctx, repo); err != nil {
		t.Fatal(err)
	}
	if _, limited := c.Waited(); limited < 1500*time.Millisecond {
		t.Errorf("waited %s in all, want X-Retry-After's second or so more", limited)
	}
	logins := 0
	for _, r := range h.Requests() {
		if r.Path == "/v2/auth/token" {
			logins++
		}
	}
	if logins != 2 {
		t.Errorf("%d logins, want 2 (the first, and the renewal)", logins)
	}
	if _, err := client(t, h, "wrong").ListTags(ctx, repo); err == nil || !strings.Contains(err.Error(), "refused the credentials of acme") {
		t.Errorf("wrong credentials: %v", err)
	}
}

// TestHubPlanRequests: planning a repository of 1,000 tags with clock:
// pushed and nothing to delete is 10 tag-list requests and no manifest
// GET (plus the login and the images list).
func TestHubPlanRequests(t *testing.T) {
	ctx := context.Background()
	h := registrytest.NewHub(t)
	repo := h.Repo("acme", "big")
	img, _ := random.Image(64, 1)
	for i := 0; i < 1000; i++ {
		r, _ := name.ParseReference(fmt.Sprintf("%s:t%04d", repo, i), name.Insecure)
		if err := remote.Write(r, img); err != nil {
			t.Fatal(err)
		}
	}
	c := client(t, h, "dckr_pat_test")
	rules := compile(t, retention.Config{Policies: []retention.Policy{{Repositories: []string{repo}, Clock: retention.ClockPushed, Keep: []retention.KeepRule{{YoungerThan: retention.Duration(24 * time.Hour)}}}}})
	before := len(h.Requests())
	plan := planner.Plan(ctx, c, rules, time.Now(), planner.Options{})
	if rp := plan.Repositories[0]; rp.Error != "" || len(rp.Tags) != 1000 || len(rp.Deletions) != 0 {
		t.Fatalf("plan: %s, %d tags, %d deletions", rp.Error, len(rp.Tags), len(rp.Deletions))
	}
	pages, manifests := 0, 0
	for _, r := range h.Requests()[before:] {
		switch {
		case r.Side == "api" && strings.HasSuffix(r.Path, "/tags"):
			pages++
		case r.Side == "registry" && strings.Contains(r.Path, "/manifests/") && r.Method == http.MethodGet:
			manifests++
		}
	}
	if pages != 10 || manifests != 0 {
		t.Errorf("%d tag-list pages and %d manifest GETs, want 10 and 0", pages, manifests)
	}
}

// TestPulledWithinOnHub: pulledWithin keeps an old tag pulled lately and
// drops a young one that was never pulled, from the Hub API's pull times.
func TestPulledWithinOnHub(t *testing.T) {
	ctx := context.Background()
	h := registrytest.NewHub(t)
	repo := h.Repo("acme", "app")
	now := time.Now()
	old := registrytest.PushImage(t, repo+":old")
	young := registrytest.PushImage(t, repo+":young")
	h.SetTimes("acme", "app", "old", now.Add(-300*24*time.Hour), now.Add(-2*24*time.Hour))
	h.SetTimes("acme", "app", "young", now.Add(-time.Hour), time.Time{})
	c := client(t, h, "dckr_pat_test")
	rules := compile(t, retention.Config{Policies: []retention.Policy{{Repositories: []string{repo}, Keep: []retention.KeepRule{{PulledWithin: retention.Duration(30 * 24 * time.Hour)}}}}})
	plan := planner.Plan(ctx, c, rules, now, planner.Options{})
	rp := plan.Repositories[0]
	if rp.Error != "" || len(rp.Deletions) != 1 || rp.Deletions[0].Digest != young {
		t.Fatalf("plan: %s %+v", rp.Error, rp.Deletions)
	}
	for _, td := range rp.Tags {
		if td.Tag == "old" && (td.Action != retention.Keep || !strings.Contains(strings.Join(td.Reasons, " "), "pulled 2d ago")) {
			t.Errorf("old: %s %q", td.Action, td.Reasons)
		}
	}
	if report := execute.Apply(ctx, c, rules, plan, now, execute.Options{}); report.Summary.Deleted != 1 {
		t.Errorf("apply: %+v", report.Summary)
	}
	if tags := h.Tags("acme", "app"); len(tags) != 1 || tags["old"].Digest != old {
		t.Errorf("tags left %v, want old alone", tags)
	}
}

// TestPullLimit: reading manifests that would pass Docker Hub's pull
// limit fails the repository before the first GET, and nothing is
// deleted; within the limit the plan says what remained.
func TestPullLimit(t *testing.T) {
	ctx := context.Background()
	h := registrytest.NewHub(t, registrytest.WithHubPullLimit(3))
	repo := h.Repo("acme", "app")
	for _, tag := range []string{"v1", "v2", "v3", "v4"} {
		registrytest.PushImage(t, repo+":"+tag)
	}
	c := client(t, h, "dckr_pat_test")
	rules := compile(t, retention.Config{Policies: []retention.Policy{{Repositories: []string{repo}, Keep: []retention.KeepRule{{Newest: 1}}}}})
	plan := planner.Plan(ctx, c, rules, time.Now(), planner.Options{})
	rp := plan.Repositories[0]
	if !strings.Contains(rp.Error, "would pass Docker Hub's pull limit (3 pulls remaining)") || len(rp.Deletions) != 0 {
		t.Errorf("over the limit: error %q, %d deletions", rp.Error, len(rp.Deletions))
	}
	for _, r := range h.Requests() {
		if r.Side == "registry" && r.Method == http.MethodGet && strings.Contains(r.Path, "/manifests/") {
			t.Errorf("a manifest was pulled: %s", r.Path)
		}
	}
}

// TestLegacyLogin: where /v2/auth/token is missing, the deprecated
// /v2/users/login logs in.
func TestLegacyLogin(t *testing.T) {
	h := registrytest.NewHub(t, registrytest.WithHubLegacyLogin())
	repo := h.Repo("acme", "app")
	registrytest.PushImage(t, repo+":v1")
	tags, err := client(t, h, "dckr_pat_test").ListTags(context.Background(), repo)
	if err != nil || len(tags) != 1 {
		t.Fatalf("%v %v", tags, err)
	}
	var paths []string
	for _, r := range h.Requests() {
		if r.Side == "api" && r.Method == http.MethodPost {
			paths = append(paths, fmt.Sprintf("%s %d", r.Path, r.Status))
		}
	}
	if strings.Join(paths, ", ") != "/v2/auth/token 404, /v2/users/login 200" {
		t.Errorf("logins: %v", paths)
	}
}

// TestUntaggedOnHub: on a paid plan the images list gives the untagged
// manifests, and untagged deletes them over the OCI API; on a free plan
// it answers 403, untagged does nothing, and the report says so.
func TestUntaggedOnHub(t *testing.T) {
	ctx := context.Background()
	for _, plan := range []string{"pro", "free"} {
		t.Run(plan, func(t *testing.T) {
			h := registrytest.NewHub(t, registrytest.WithHubPlan(plan))
			repo := h.Repo("acme", "app")
			registrytest.PushImage(t, repo+":v1")
			img, _ := random.Image(64, 1)
			d, _ := img.Digest()
			r, _ := name.ParseReference(repo+"@"+d.String(), name.Insecure)
			if err := remote.Write(r, img); err != nil {
				t.Fatal(err)
			}
			c := client(t, h, "dckr_pat_test")
			rules := compile(t, retention.Config{Policies: []retention.Policy{{Repositories: []string{repo}, Untagged: &retention.UntaggedRule{}}}})
			p := planner.Plan(ctx, c, rules, time.Now().Add(time.Hour), planner.Options{})
			rp := p.Repositories[0]
			if rp.Error != "" {
				t.Fatal(rp.Error)
			}
			if plan == "free" {
				if len(rp.Deletions) != 0 || !strings.Contains(strings.Join(rp.Notes, " "), "only on paid plans") {
					t.Errorf("free plan: %+v, notes %q", rp.Deletions, rp.Notes)
				}
				return
			}
			if len(rp.Deletions) != 1 || rp.Deletions[0].Kind != retention.KindUntagged || rp.Deletions[0].Digest != d.String() {
				t.Fatalf("planned %+v", rp.Deletions)
			}
			if out := execute.Apply(ctx, c, rules, p, time.Now().Add(time.Hour), execute.Options{}); out.Summary.Deleted != 1 {
				t.Errorf("apply: %+v %+v", out.Summary, out.Repositories[0].Deletions)
			}
			if ok, _ := c.Exists(ctx, repo, d.String()); ok {
				t.Error("the untagged manifest is still there")
			}
		})
	}
}

// TestHubDeleteDigestExactTags: DeleteDigest removes exactly the tags it
// is given. A tag that the client's own Hub listing shows on the digest
// and the deletion does not name stops it before any request
// (ErrUnnamedTags); a tag pushed onto it since that listing is left
// alone, and Docker Hub refuses the digest DELETE while it remains.
func TestHubDeleteDigestExactTags(t *testing.T) {
	ctx := context.Background()
	h := registrytest.NewHub(t)
	repo := h.Repo("acme", "app")
	d := registrytest.PushImage(t, repo+":a")
	r, _ := name.ParseReference(repo+":a", name.Insecure)
	desc, err := remote.Get(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Tag(r.Context().Tag("b"), desc); err != nil {
		t.Fatal(err)
	}
	c := client(t, h, "dckr_pat_test")
	if _, err := c.ListTags(ctx, repo); err != nil {
		t.Fatal(err)
	}
	deletes := func(from int) []string {
		var out []string
		for _, req := range h.Requests()[from:] {
			if req.Method == http.MethodDelete {
				out = append(out, fmt.Sprintf("%s %s %d", req.Side, req.Path, req.Status))
			}
		}
		return out
	}

	before := len(h.Requests())
	err = c.DeleteDigest(ctx, repo, d, []string{"a"})
	if !errors.Is(err, retention.ErrUnnamedTags) || !strings.Contains(err.Error(), "tag(s) b") {
		t.Errorf("deleting with a, while the listing shows a and b: %v, want ErrUnnamedTags naming b", err)
	}
	if got := deletes(before); len(got) != 0 {
		t.Errorf("requests sent for a refused deletion: %v", got)
	}

	// c lands on the digest after the listing: a and b go, c stays, and
	// so does the manifest.
	if err := remote.Tag(r.Context().Tag("c"), desc); err != nil {
		t.Fatal(err)
	}
	before = len(h.Requests())
	err = c.DeleteDigest(ctx, repo, d, []string{"a", "b"})
	if !errors.Is(err, retention.ErrReferenced) {
		t.Errorf("deleting with a and b, while c was pushed since: %v, want ErrReferenced", err)
	}
	want := []string{
		"api /v2/repositories/acme/app/tags/a/ 204",
		"api /v2/repositories/acme/app/tags/b/ 204",
		"registry /v2/acme/app/manifests/" + d + " 403",
	}
	if diff := cmp.Diff(want, deletes(before)); diff != "" {
		t.Errorf("DELETEs (-want +got):\n%s", diff)
	}
	if tags := h.Tags("acme", "app"); len(tags) != 1 || tags["c"].Digest != d {
		t.Errorf("tags left %v, want c alone", tags)
	}
	if ok, _ := c.Exists(ctx, repo, d); !ok {
		t.Error("the manifest was deleted under c")
	}
}
