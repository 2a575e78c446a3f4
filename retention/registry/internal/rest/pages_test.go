package rest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/regprune/regprune/retention/registry"
)

// list serves the items 0..n-1, per a page, three ways: /body (a JSON
// body with next, Docker Hub's), /link (a Link header, GitHub's) and
// /elsewhere (a next page off the API).
func list(t *testing.T, n, per int) *httptest.Server {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		page = max(page, 1)
		var items []int
		for i := (page - 1) * per; i < min(page*per, n); i++ {
			items = append(items, i)
		}
		var next string
		if page*per < n {
			next = fmt.Sprintf("%s%s?page=%d", srv.URL, r.URL.Path, page+1)
			if r.URL.Path == "/elsewhere" {
				next = fmt.Sprintf("http://192.0.2.1/elsewhere?page=%d", page+1)
			}
		}
		switch r.URL.Path {
		case "/link":
			if next != "" {
				w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next", <%s/link?page=99>; rel="last"`, next, srv.URL))
			}
			_ = json.NewEncoder(w).Encode(items)
		default:
			body := struct {
				Next    *string `json:"next"`
				Results []int   `json:"results"`
			}{Results: items}
			if next != "" {
				body.Next = &next
			}
			_ = json.NewEncoder(w).Encode(body)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func getBody(ctx context.Context, u string) ([]int, string, error) {
	resp, err := http.Get(u)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	var p struct {
		Next    *string `json:"next"`
		Results []int   `json:"results"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		return nil, "", err
	}
	if p.Next == nil {
		return p.Results, "", nil
	}
	return p.Results, *p.Next, nil
}

func getLink(next func(http.Header, string) string) func(context.Context, string) ([]int, string, error) {
	return func(ctx context.Context, u string) ([]int, string, error) {
		resp, err := http.Get(u)
		if err != nil {
			return nil, "", err
		}
		defer resp.Body.Close()
		var items []int
		if err := json.NewDecoder(resp.Body).Decode(&items); err != nil {
			return nil, "", err
		}
		return items, next(resp.Header, u), nil
	}
}

// TestPages walks lists of every length around the page size, by next
// URLs in the body, by Link headers, and by Link's page numbers.
func TestPages(t *testing.T) {
	for _, n := range []int{0, 1, 9, 10, 11, 25} {
		srv := list(t, n, 10)
		w := Walker{API: "the test API", Base: srv.URL + "/"}
		want := []int{}
		for i := 0; i < n; i++ {
			want = append(want, i)
		}
		for _, tt := range []struct {
			how   string
			first string
			get   func(context.Context, string) ([]int, string, error)
		}{
			{how: "next in the body", first: srv.URL + "/body", get: getBody},
			{how: "Link", first: srv.URL + "/link", get: getLink(NextLink)},
			{how: "Link's page numbers", first: srv.URL + "/link?per_page=10", get: getLink(NextPage)},
		} {
			t.Run(fmt.Sprintf("%d items, %s", n, tt.how), func(t *testing.T) {
				got := []int{}
				if err := Pages(context.Background(), w, tt.first, tt.get, func(i int) { got = append(got, i) }); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("items (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestPagesRefuses: a next page off the API, or a page that fails, fails
// the whole list, never a shorter one.
func TestPagesRefuses(t *testing.T) {
	srv := list(t, 25, 10)
	w := Walker{API: "the test API", Base: srv.URL + "/"}
	var got []int
	err := Pages(context.Background(), w, srv.URL+"/elsewhere", getBody, func(i int) { got = append(got, i) })
	want := `listing looks truncated or inconsistent: the test API's next page "http://192.0.2.1/elsewhere?page=2" is not on ` + srv.URL
	if !errors.Is(err, registry.ErrTruncated) || err.Error() != want {
		t.Errorf("a next page elsewhere: %v, want %q", err, want)
	}
	boom := errors.New("boom")
	calls := 0
	err = Pages(context.Background(), w, srv.URL+"/body", func(ctx context.Context, u string) ([]int, string, error) {
		if calls++; calls == 2 {
			return nil, "", boom
		}
		return getBody(ctx, u)
	}, func(int) {})
	if !errors.Is(err, boom) {
		t.Errorf("a failed second page: %v, want it", err)
	}
}

// TestNextLink reads Link headers as GitHub and RFC 8288 write them.
func TestNextLink(t *testing.T) {
	for _, tt := range []struct {
		link, cur, wantLink, wantPage string
	}{
		{link: `<https://api.example/x?page=2&per_page=100>; rel="next", <https://api.example/x?page=5>; rel="last"`, cur: "https://api.example/x?per_page=100&page=1",
			wantLink: "https://api.example/x?page=2&per_page=100", wantPage: "https://api.example/x?page=2&per_page=100"},
		{link: `<https://api.example/x?page=1>; rel="prev", <https://api.example/x?page=3>; rel="next"`, cur: "https://api.example/x?page=2",
			wantLink: "https://api.example/x?page=3", wantPage: "https://api.example/x?page=3"},
		{link: `</x?page=2>; rel=next`, cur: "https://api.example/x", wantLink: "https://api.example/x?page=2", wantPage: "https://api.example/x?page=2"},
		{link: `<https://other.example/organizations/9/x?page=2>; rel="next"`, cur: "https://api.example/orgs/acme/x?state=active",
			wantLink: "https://other.example/organizations/9/x?page=2", wantPage: "https://api.example/orgs/acme/x?page=2&state=active"},
		{link: `<https://api.example/x?after=abc>; rel="next"`, cur: "https://api.example/x", wantLink: "https://api.example/x?after=abc"},
		{link: `<https://api.example/x?page=1>; rel="first"`, cur: "https://api.example/x?page=2"},
		{cur: "https://api.example/x"},
	} {
		h := http.Header{}
		if tt.link != "" {
			h.Set("Link", tt.link)
		}
		if got := NextLink(h, tt.cur); got != tt.wantLink {
			t.Errorf("NextLink(%q) = %q, want %q", tt.link, got, tt.wantLink)
		}
		if got := NextPage(h, tt.cur); got != tt.wantPage {
			t.Errorf("NextPage(%q) = %q, want %q", tt.link, got, tt.wantPage)
		}
	}
}
