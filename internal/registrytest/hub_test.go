package registrytest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/regprune/regprune/internal/registrytest"
)

// hubClient drives the Docker Hub emulator with plain HTTP.
type hubClient struct {
	t   *testing.T
	h   *registrytest.Hub
	tok string
}

func (c hubClient) do(method, url, body string) (int, http.Header, map[string]any) {
	c.t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.tok != "" {
		req.Header.Set("Authorization", "Bearer "+c.tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, resp.Header, out
}

// TestHubEmulator checks the Docker Hub emulator with a plain HTTP
// client: tokens, both tag-list paths with next URLs, push and pull
// times, the registry's refusals, the tag DELETE, the images list on a
// free and a paid plan, 429 and token expiry.
func TestHubEmulator(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	h := registrytest.NewHub(t, registrytest.WithHubClock(clock), registrytest.WithHubAccount("acme", "dckr_pat_x"))
	repo := h.Repo("acme", "app")
	v1 := registrytest.PushImage(t, repo+":v1")
	registrytest.PushImage(t, repo+":v2")
	registrytest.PushImage(t, repo+":v3")
	c := hubClient{t: t, h: h}

	// Tokens.
	if st, _, _ := c.do("POST", h.APIURL+"/v2/auth/token", `{"identifier":"acme","secret":"wrong"}`); st != 401 {
		t.Errorf("a wrong secret: %d, want 401", st)
	}
	if st, _, _ := c.do("GET", h.APIURL+"/v2/repositories/acme/app/tags/", ""); st != 401 {
		t.Errorf("no token: %d, want 401", st)
	}
	st, _, body := c.do("POST", h.APIURL+"/v2/auth/token", `{"identifier":"acme","secret":"dckr_pat_x"}`)
	tok, _ := body["access_token"].(string)
	if st != 200 || tok == "" {
		t.Fatalf("auth/token: %d %v", st, body)
	}
	if st, _, body := c.do("POST", h.APIURL+"/v2/users/login", `{"username":"acme","password":"dckr_pat_x"}`); st != 200 || body["token"] == nil {
		t.Errorf("users/login: %d %v", st, body)
	}
	c.tok = tok

	// Both tag-list paths page with absolute next URLs.
	for _, first := range []string{
		h.APIURL + "/v2/namespaces/acme/repositories/app/tags?page_size=2",
		h.APIURL + "/v2/repositories/acme/app/tags/?page_size=2",
	} {
		var names []string
		for url := first; url != ""; {
			st, _, body := c.do("GET", url, "")
			if st != 200 || body["count"] != float64(3) {
				t.Fatalf("GET %s: %d %v", url, st, body)
			}
			for _, r := range body["results"].([]any) {
				tag := r.(map[string]any)
				names = append(names, tag["name"].(string))
				if tag["name"] == "v1" && (tag["digest"] != v1 || tag["tag_last_pushed"] == nil || tag["tag_last_pulled"] != nil) {
					t.Errorf("v1 as listed: %v", tag)
				}
				if tag["name"] == "v1" && fmt.Sprint(tag["images"]) != fmt.Sprintf("[map[architecture:amd64 digest:%s os:linux status:active]]", v1) {
					t.Errorf("v1's images[]: %v, want the image itself", tag["images"])
				}
			}
			url, _ = body["next"].(string)
			if url != "" && !strings.HasPrefix(url, h.APIURL) {
				t.Errorf("next %q is not absolute", url)
			}
		}
		if strings.Join(names, ",") != "v1,v2,v3" {
			t.Errorf("listed %v from %s", names, first)
		}
	}
	if st, _, _ := c.do("GET", h.APIURL+"/v2/repositories/acme/app/tags/?page_size=101", ""); st != 400 {
		t.Errorf("page_size 101: %d, want 400", st)
	}

	// A GET is a pull; a HEAD is not.
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	ref, _ := name.ParseReference(repo+":v2", name.Insecure)
	if _, err := remote.Head(ref); err != nil {
		t.Fatal(err)
	}
	if !h.Tags("acme", "app")["v2"].Pulled.IsZero() {
		t.Error("a HEAD counted as a pull")
	}
	if _, err := remote.Get(ref); err != nil {
		t.Fatal(err)
	}
	if got := h.Tags("acme", "app")["v2"].Pulled; !got.Equal(now) {
		t.Errorf("v2 pulled %s, want %s", got, now)
	}

	// An hour on, the token has expired: a new one.
	st, _, body = c.do("POST", h.APIURL+"/v2/auth/token", `{"identifier":"acme","secret":"dckr_pat_x"}`)
	if c.tok, _ = body["access_token"].(string); st != 200 || c.tok == "" {
		t.Fatalf("auth/token: %d %v", st, body)
	}

	// The registry refuses a tag DELETE and a tagged digest's DELETE.
	if st, _, _ := c.do("DELETE", h.URL+"/v2/acme/app/manifests/v1", ""); st != 405 {
		t.Errorf("DELETE by tag: %d, want 405", st)
	}
	if st, _, _ := c.do("DELETE", h.URL+"/v2/acme/app/manifests/"+v1, ""); st != 403 {
		t.Errorf("DELETE of a tagged digest: %d, want 403", st)
	}
	if st, _, _ := c.do("DELETE", h.APIURL+"/v2/repositories/acme/app/tags/v1/", ""); st != 204 {
		t.Errorf("Hub tag DELETE: %d, want 204", st)
	}
	if st, _, _ := c.do("DELETE", h.APIURL+"/v2/repositories/acme/app/tags/v1/", ""); st != 404 {
		t.Errorf("Hub tag DELETE again: %d, want 404", st)
	}
	if st, _, _ := c.do("DELETE", h.URL+"/v2/acme/app/manifests/"+v1, ""); st != 202 {
		t.Errorf("DELETE of the untagged digest: %d, want 202", st)
	}
	if _, ok := h.Tags("acme", "app")["v1"]; ok {
		t.Error("v1 is still listed")
	}

	// The images list is for paid plans.
	if st, _, _ := c.do("GET", h.APIURL+"/v2/namespaces/acme/repositories/app/images?currently_tagged=false", ""); st != 403 {
		t.Errorf("images on a free plan: %d, want 403", st)
	}

	// 429 with Retry-After.
	h.FailNext(registrytest.HubFault{PathContains: "/tags", Status: 429, RetryAfter: 3})
	if st, hdr, _ := c.do("GET", h.APIURL+"/v2/repositories/acme/app/tags/", ""); st != 429 || hdr.Get("Retry-After") != "3" {
		t.Errorf("fault: %d %v", st, hdr)
	}

	// The registry side answers 429 with Retry-After too.
	h.FailNext(registrytest.HubFault{Side: "registry", PathContains: "/manifests/", Status: 429, RetryAfter: 2})
	if st, hdr, _ := c.do("GET", h.URL+"/v2/acme/app/manifests/v2", ""); st != 429 || hdr.Get("Retry-After") != "2" {
		t.Errorf("registry fault: %d %v", st, hdr)
	}

	// Tokens expire after ten minutes.
	mu.Lock()
	now = now.Add(11 * time.Minute)
	mu.Unlock()
	if st, _, _ := c.do("GET", h.APIURL+"/v2/repositories/acme/app/tags/", ""); st != 401 {
		t.Errorf("an expired token: %d, want 401", st)
	}
}

// TestHubImagesOnAPaidPlan: the images list, with currently_tagged=false,
// lists the manifests no tag points at.
func TestHubImagesOnAPaidPlan(t *testing.T) {
	h := registrytest.NewHub(t, registrytest.WithHubPlan("pro"))
	repo := h.Repo("acme", "app")
	registrytest.PushImage(t, repo+":v1")
	img, _ := random.Image(64, 1)
	d, _ := img.Digest()
	r, _ := name.ParseReference(repo+"@"+d.String(), name.Insecure)
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
	c := hubClient{t: t, h: h}
	_, _, body := c.do("POST", h.APIURL+"/v2/auth/token", `{"identifier":"acme","secret":"dckr_pat_test"}`)
	c.tok, _ = body["access_token"].(string)
	st, _, body := c.do("GET", h.APIURL+"/v2/namespaces/acme/repositories/app/images?currently_tagged=false", "")
	if st != 200 || body["count"] != float64(1) {
		t.Fatalf("images: %d %v", st, body)
	}
	if got := body["results"].([]any)[0].(map[string]any)["digest"]; got != d.String() {
		t.Errorf("untagged image %v, want %s", got, d)
	}
}

// TestHubIndexImages: an index's tag lists its platform manifests in
// images[], with its media type, as Docker Hub's tag list does.
func TestHubIndexImages(t *testing.T) {
	h := registrytest.NewHub(t)
	index, children := registrytest.PushIndex(t, h.Repo("acme", "app")+":multi")
	c := hubClient{t: t, h: h}
	_, _, body := c.do("POST", h.APIURL+"/v2/auth/token", `{"identifier":"acme","secret":"dckr_pat_test"}`)
	c.tok, _ = body["access_token"].(string)
	st, _, body := c.do("GET", h.APIURL+"/v2/namespaces/acme/repositories/app/tags", "")
	if st != 200 || body["count"] != float64(1) {
		t.Fatalf("tags: %d %v", st, body)
	}
	tag := body["results"].([]any)[0].(map[string]any)
	var got []string
	for _, im := range tag["images"].([]any) {
		got = append(got, im.(map[string]any)["digest"].(string))
	}
	if tag["digest"] != index || !strings.Contains(tag["media_type"].(string), "index") || strings.Join(got, " ") != strings.Join(children, " ") {
		t.Errorf("multi as listed: digest %v, media type %v, images %v; want %s, an index, %v", tag["digest"], tag["media_type"], got, index, children)
	}
}

// TestHubPullLimit: manifest GETs count against the pull limit, HEADs do
// not, and every answer says what remains.
func TestHubPullLimit(t *testing.T) {
	h := registrytest.NewHub(t, registrytest.WithHubPullLimit(2))
	registrytest.PushImage(t, h.Repo("acme", "app")+":v1")
	c := hubClient{t: t, h: h}
	u := h.URL + "/v2/acme/app/manifests/v1"
	for i, want := range []struct {
		method    string
		status    int
		remaining string
	}{{"HEAD", 200, "2;w=21600"}, {"GET", 200, "1;w=21600"}, {"GET", 200, "0;w=21600"}, {"GET", 429, "0;w=21600"}} {
		st, hdr, _ := c.do(want.method, u, "")
		if st != want.status || hdr.Get("RateLimit-Remaining") != want.remaining {
			t.Errorf("request %d (%s): %d, remaining %q; want %d, %q", i, want.method, st, hdr.Get("RateLimit-Remaining"), want.status, want.remaining)
		}
	}
}
