package registrytest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/regprune/regprune/internal/registrytest"
)

const (
	ghcrToken   = "ghp_classic"
	ghcrNoDel   = "ghp_readonly"
	ghcrFine    = "github_pat_fine"
	ghcrActions = "ghs_actions"
)

func newGHCR(t *testing.T) *registrytest.GHCR {
	return registrytest.NewGHCR(t,
		registrytest.WithGHCROrg("acme"),
		registrytest.WithGHCRToken(ghcrToken, "octo", registrytest.TokenClassic, "read:packages", "write:packages", "delete:packages"),
		registrytest.WithGHCRToken(ghcrNoDel, "octo", registrytest.TokenClassic, "read:packages"),
		registrytest.WithGHCRToken(ghcrFine, "octo", registrytest.TokenFineGrained),
		registrytest.WithGHCRToken(ghcrActions, "github-actions", registrytest.TokenActions),
	)
}

var ghcrAuth = remote.WithAuth(&authn.Basic{Username: "octo", Password: ghcrToken})

// call sends a plain REST request with token and returns the status, the
// body and the headers.
func call(t *testing.T, method, url, token string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

type version struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Created  string `json:"created_at"`
	Metadata struct {
		Container struct {
			Tags []string `json:"tags"`
		} `json:"container"`
	} `json:"metadata"`
}

var nextLink = regexp.MustCompile(`<([^>]+)>; rel="next"`)

// versions lists every version of a package, page by page.
func versions(t *testing.T, url, token string) []version {
	t.Helper()
	var all []version
	for url != "" {
		status, body, h := call(t, "GET", url, token)
		if status != 200 {
			t.Fatalf("GET %s: %d %s", url, status, body)
		}
		var page []version
		if err := json.Unmarshal([]byte(body), &page); err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		url = ""
		if m := nextLink.FindStringSubmatch(h.Get("Link")); m != nil {
			url = m[1]
		}
	}
	return all
}

func TestGHCRVersionsAndPaging(t *testing.T) {
	g := newGHCR(t)
	a := registrytest.PushImage(t, g.Repo("acme", "app")+":v1", ghcrAuth)
	registrytest.PushImage(t, g.Repo("acme", "app")+":v2", ghcrAuth)
	idx, children := registrytest.PushIndex(t, g.Repo("acme", "app")+":multi", ghcrAuth)
	base := g.APIURL + "/orgs/acme/packages/container/app/versions"

	vs := versions(t, base+"?per_page=2", ghcrToken)
	if len(vs) != 5 {
		t.Fatalf("listed %d versions, want 5 (2 images, an index, 2 children): %+v", len(vs), vs)
	}
	byDigest := map[string]version{}
	for _, v := range vs {
		if _, dup := byDigest[v.Name]; dup {
			t.Errorf("version %s listed twice", v.Name)
		}
		byDigest[v.Name] = v
	}
	if got := byDigest[idx].Metadata.Container.Tags; !slices.Equal(got, []string{"multi"}) {
		t.Errorf("index tags %v", got)
	}
	for _, c := range children {
		if v, ok := byDigest[c]; !ok || v.Metadata.Container.Tags == nil || len(v.Metadata.Container.Tags) != 0 {
			t.Errorf("child %s: %+v, want an untagged version with tags []", c, v)
		}
	}
	if byDigest[a].Created == "" {
		t.Error("no created_at")
	}
	// per_page is capped at 100, and the rate headers are sent.
	_, _, h := call(t, "GET", base+"?per_page=500", ghcrToken)
	if h.Get("X-RateLimit-Remaining") == "" || h.Get("X-RateLimit-Reset") == "" || !strings.Contains(h.Get("X-OAuth-Scopes"), "delete:packages") {
		t.Errorf("rate and scope headers missing: %v", h)
	}
}

func TestGHCRNamesAndOwners(t *testing.T) {
	g := newGHCR(t)
	registrytest.PushImage(t, g.Repo("acme", "team/app")+":v1", ghcrAuth)
	registrytest.PushImage(t, g.Repo("octo", "tool")+":v1", ghcrAuth)
	if status, body, _ := call(t, "GET", g.APIURL+"/orgs/acme/packages/container/team%2Fapp/versions", ghcrToken); status != 200 {
		t.Errorf("escaped name: %d %s", status, body)
	}
	if status, _, _ := call(t, "GET", g.APIURL+"/orgs/acme/packages/container/team/app/versions", ghcrToken); status != 404 {
		t.Errorf("unescaped name: %d, want 404", status)
	}
	if status, body, _ := call(t, "GET", g.APIURL+"/user/packages/container/tool/versions", ghcrToken); status != 200 {
		t.Errorf("/user: %d %s", status, body)
	}
	// /users/{u} shows public packages only.
	if status, _, _ := call(t, "GET", g.APIURL+"/users/octo/packages/container/tool/versions", ghcrActions); status != 404 {
		t.Errorf("private package under /users/: %d, want 404", status)
	}
	g.SetVisibility("octo", "tool", "public")
	if status, body, _ := call(t, "GET", g.APIURL+"/users/octo/packages/container/tool/versions", ghcrActions); status != 200 {
		t.Errorf("public package under /users/: %d %s", status, body)
	}
	if status, body, _ := call(t, "GET", g.APIURL+"/orgs/acme/packages?package_type=container", ghcrToken); status != 200 || !strings.Contains(body, `"team/app"`) {
		t.Errorf("list packages: %d %s", status, body)
	}
	if status, body, _ := call(t, "GET", g.APIURL+"/orgs/acme/packages?package_type=container", ghcrActions); status != 403 || !strings.Contains(body, "integration") {
		t.Errorf("GITHUB_TOKEN listing packages: %d %s", status, body)
	}
	if status, _, _ := call(t, "GET", g.APIURL+"/orgs/acme/packages?package_type=container&per_page=100&page=101", ghcrToken); status != 400 {
		t.Errorf("page*per_page > 10000: %d, want 400", status)
	}
	if status, body, _ := call(t, "GET", g.APIURL+"/users/acme", ghcrToken); status != 200 || !strings.Contains(body, "Organization") {
		t.Errorf("GET /users/acme: %d %s", status, body)
	}
}

func TestGHCRAuth(t *testing.T) {
	g := newGHCR(t)
	registrytest.PushImage(t, g.Repo("acme", "app")+":v1", ghcrAuth)
	u := g.APIURL + "/orgs/acme/packages/container/app/versions"
	for _, tc := range []struct {
		token  string
		status int
		body   string
	}{{"", 401, "Bad credentials"}, {"nonsense", 401, "Bad credentials"}, {ghcrFine, 403, "personal access token"}, {ghcrNoDel, 200, ""}} {
		if status, body, _ := call(t, "GET", u, tc.token); status != tc.status || !strings.Contains(body, tc.body) {
			t.Errorf("token %q: %d %s, want %d %q", tc.token, status, body, tc.status, tc.body)
		}
	}
	// Anonymous OCI pulls are challenged; a wrong password gets no token.
	status, _, h := call(t, "GET", g.URL+"/v2/", "")
	if status != 401 || !strings.Contains(h.Get("WWW-Authenticate"), "/token") {
		t.Errorf("OCI /v2/ anonymous: %d %v", status, h)
	}
	req, _ := http.NewRequest("GET", g.URL+"/token?scope=repository:acme/app:pull", nil)
	req.SetBasicAuth("octo", "wrong")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Errorf("token with a wrong password: %v %v", resp, err)
	}
}

// ociGet fetches a path on the OCI side with a token from /token.
func ociGet(t *testing.T, g *registrytest.GHCR, method, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", g.URL+"/token", nil)
	req.SetBasicAuth("octo", ghcrToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct{ Token string }
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	req, _ = http.NewRequest(method, g.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestGHCROCISide(t *testing.T) {
	g := newGHCR(t)
	d := registrytest.PushImage(t, g.Repo("acme", "app")+":v1", ghcrAuth)
	if status, body := ociGet(t, g, "DELETE", "/v2/acme/app/manifests/"+d); status != 405 || !strings.Contains(body, "UNSUPPORTED") {
		t.Errorf("OCI DELETE: %d %s, want 405 UNSUPPORTED", status, body)
	}
	if status, _ := ociGet(t, g, "GET", "/v2/_catalog"); status != 404 {
		t.Errorf("_catalog: %d, want 404", status)
	}
	if status, _ := ociGet(t, g, "GET", "/v2/acme/app/referrers/"+d); status != 404 {
		t.Errorf("referrers: %d, want 404", status)
	}
	if status, body := ociGet(t, g, "GET", "/v2/acme/app/tags/list"); status != 200 || !strings.Contains(body, `"v1"`) {
		t.Errorf("tags/list: %d %s", status, body)
	}
}

func versionID(t *testing.T, g *registrytest.GHCR, owner, pkg, digest string) int64 {
	t.Helper()
	for _, v := range g.Versions(owner, pkg) {
		if v.Digest == digest && v.DeletedAt.IsZero() {
			return v.ID
		}
	}
	t.Fatalf("no active version %s", digest)
	return 0
}

func TestGHCRDelete(t *testing.T) {
	g := newGHCR(t)
	a := registrytest.PushImage(t, g.Repo("acme", "app")+":old", ghcrAuth)
	b := registrytest.PushImage(t, g.Repo("acme", "app")+":new", ghcrAuth)
	base := g.APIURL + "/orgs/acme/packages/container/app/versions/"
	ida, idb := versionID(t, g, "acme", "app", a), versionID(t, g, "acme", "app", b)

	// A token without delete:packages gets 404, and the version stays.
	if status, body, _ := call(t, "DELETE", fmt.Sprint(base, ida), ghcrNoDel); status != 404 || !strings.Contains(body, "Package not found.") {
		t.Errorf("DELETE without delete:packages: %d %s", status, body)
	}
	if status, _, _ := call(t, "GET", fmt.Sprint(base, ida), ghcrToken); status != 200 {
		t.Errorf("the version went after a refused DELETE: %d", status)
	}
	if status, _, _ := call(t, "DELETE", fmt.Sprint(base, ida), ghcrToken); status != 204 {
		t.Fatalf("DELETE: %d", status)
	}
	// The OCI side forgets the version: its tag and its digest.
	if status, _ := ociGet(t, g, "GET", "/v2/acme/app/manifests/old"); status != 404 {
		t.Errorf("deleted tag: %d, want 404", status)
	}
	if status, _ := ociGet(t, g, "GET", "/v2/acme/app/manifests/"+a); status != 404 {
		t.Errorf("deleted digest: %d, want 404", status)
	}
	if _, body := ociGet(t, g, "GET", "/v2/acme/app/tags/list"); strings.Contains(body, `"old"`) {
		t.Errorf("deleted tag still listed: %s", body)
	}
	if status, _, _ := call(t, "DELETE", fmt.Sprint(base, ida), ghcrToken); status != 404 {
		t.Errorf("second DELETE: %d, want 404", status)
	}
	// The last tagged version cannot go.
	status, body, _ := call(t, "DELETE", fmt.Sprint(base, idb), ghcrToken)
	if status != 400 || !strings.Contains(body, "You cannot delete the last tagged version of a package. You must delete the package instead.") {
		t.Errorf("last tagged version: %d %s", status, body)
	}
	// Restore within 30 days: it comes back, without its tags.
	if status, body, _ := call(t, "POST", fmt.Sprint(base, ida, "/restore"), ghcrToken); status != 204 {
		t.Errorf("restore: %d %s", status, body)
	}
	if status, _ := ociGet(t, g, "GET", "/v2/acme/app/manifests/"+a); status != 200 {
		t.Errorf("restored digest: %d, want 200", status)
	}
}

func TestGHCRPlaceholderUntag(t *testing.T) {
	g := newGHCR(t)
	a := registrytest.PushImage(t, g.Repo("acme", "app")+":keep", ghcrAuth)
	ref, _ := name.ParseReference(g.Repo("acme", "app")+":keep", name.Insecure)
	auth := remote.WithAuth(&authn.Basic{Username: "octo", Password: ghcrToken})
	desc, err := remote.Get(ref, auth)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Tag(ref.Context().Tag("alias"), desc, auth); err != nil {
		t.Fatal(err)
	}
	// Move alias onto a placeholder, then delete the placeholder.
	p := registrytest.PushImage(t, g.Repo("acme", "app")+":alias", ghcrAuth)
	if status, _, _ := call(t, "DELETE", fmt.Sprint(g.APIURL+"/orgs/acme/packages/container/app/versions/", versionID(t, g, "acme", "app", p)), ghcrToken); status != 204 {
		t.Fatalf("deleting the placeholder: %d", status)
	}
	for _, v := range g.Versions("acme", "app") {
		if v.Digest == a && !slices.Equal(v.Tags, []string{"keep"}) {
			t.Errorf("the image's tags after the untag: %v, want [keep]", v.Tags)
		}
	}
	if status, _ := ociGet(t, g, "GET", "/v2/acme/app/manifests/alias"); status != 404 {
		t.Errorf("alias after the untag: %d, want 404", status)
	}
}

func TestGHCRFaultsAndPacing(t *testing.T) {
	g := registrytest.NewGHCR(t, registrytest.WithGHCRPacing(10))
	registrytest.PushImage(t, g.Repo("acme", "app")+":v1", ghcrAuth)
	u := g.APIURL + "/orgs/acme/packages/container/app/versions"
	g.FailNext(registrytest.GHCRFault{PathContains: "/versions", Status: 403, Secondary: true, RetryAfter: 7})
	status, body, h := call(t, "GET", u, "")
	if status != 403 || h.Get("Retry-After") != "7" || !strings.Contains(body, "secondary rate limit") {
		t.Errorf("secondary fault: %d %s %v", status, body, h)
	}
	reset := time.Now().Add(time.Minute).Truncate(time.Second)
	g.FailNext(registrytest.GHCRFault{Status: 429, RemainingZero: true, ResetAt: reset})
	status, _, h = call(t, "GET", u, "")
	if status != 429 || h.Get("X-RateLimit-Remaining") != "0" || h.Get("X-RateLimit-Reset") != fmt.Sprint(reset.Unix()) {
		t.Errorf("primary fault: %d %v", status, h)
	}
	// 10 points a minute: two DELETEs of 5 points pass, the third waits.
	var got []int
	for i := 0; i < 3; i++ {
		s, _, _ := call(t, "DELETE", u+"/999", "")
		got = append(got, s)
	}
	if !slices.Equal(got, []int{404, 404, 403}) {
		t.Errorf("paced DELETEs: %v, want [404 404 403]", got)
	}
	if n := len(g.Requests()); n == 0 {
		t.Error("no requests recorded")
	}
}
