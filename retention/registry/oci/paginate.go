package oci

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// pageSize is the n of every paginated request. Distribution refuses
// n > 1000 on the catalog (400 PAGINATION_NUMBER_INVALID) and caps tags
// at 1000; ECR errors above 1000.
const pageSize = 1000

// maxPages stops a listing that never ends (a Link that keeps pointing
// somewhere new): ten million names at full pages, far beyond any real
// repository, yet a bound.
const maxPages = 10_000

// pageFunc reads one page (its number from 0, the response and its
// rel="next" Link, or nil) and returns the URL of the next page, or ""
// after the last.
type pageFunc func(page int, resp *response, link *url.URL) (next string, err error)

// walkPages is the one pagination loop: it requests first, then every
// page fn names, with one request each (accepting the statuses in ok),
// and fails with ErrTruncated on a listing that never ends or comes back
// to a page it has seen.
func (c *Client) walkPages(ctx context.Context, key string, rt http.RoundTripper, first string, accept []string, limit int64, ok []int, fn pageFunc) error {
	visited := map[string]bool{}
	for page, next := 0, first; next != ""; page++ {
		if page >= maxPages {
			return fmt.Errorf("%w: more than %d pages", ErrTruncated, maxPages)
		}
		if visited[next] {
			return fmt.Errorf("%w: page %s requested twice", ErrTruncated, next)
		}
		visited[next] = true
		resp, err := c.do(ctx, key, rt, http.MethodGet, next, accept, limit, ok...)
		if err != nil {
			return err
		}
		link, err := nextLink(resp)
		if err != nil {
			return err
		}
		if next, err = fn(page, resp, link); err != nil {
			return err
		}
	}
	return nil
}

// paginate collects the names of a paginated listing (tags/list or
// _catalog), starting at first (without query), following Link rel="next"
// and asking once more with last= when a page is exactly full and has no
// Link. field picks the names out of a page. It fails with ErrTruncated
// rather than return a listing it cannot trust.
func (c *Client) paginate(ctx context.Context, key string, rt http.RoundTripper, first string, field func([]byte) ([]string, error)) ([]string, error) {
	base, err := url.Parse(first)
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", first, err)
	}
	seen := map[string]bool{}
	var out []string
	// sawLink: the registry pages with Link, so a short page without one
	// is its last.
	sawLink := false
	err = c.walkPages(ctx, key, rt, withQuery(base, ""), []string{"application/json"}, maxJSONBytes, []int{http.StatusOK},
		func(page int, resp *response, link *url.URL) (string, error) {
			names, err := field(resp.body)
			if err != nil {
				return "", fmt.Errorf("decoding %s: %w", resp.url.Redacted(), err)
			}
			for _, n := range names {
				if seen[n] {
					return "", fmt.Errorf("%w: page %d repeats %q (pagination not honoured?)", ErrTruncated, page+1, n)
				}
				seen[n] = true
			}
			out = append(out, names...)
			switch {
			case link != nil:
				if link.Host != base.Host {
					return "", fmt.Errorf("%w: Link to another host %s", ErrTruncated, link.Host)
				}
				sawLink = true
				return link.String(), nil
			case len(names) == pageSize || (!sawLink && looksCapped(len(names))):
				// A full page without Link: either the end, or a registry
				// that pages with last= only. One more request tells. So
				// does a page of a round size such as 100 or 500 from a
				// registry that has sent no Link: registries that cap n
				// below what was asked, and send no Link, stop there; the
				// spec forbids it, but a silently shorter listing is the
				// one failure a pruner must not have.
				return withQuery(base, names[len(names)-1]), nil
			default:
				return "", nil
			}
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// looksCapped reports whether n is a page size registries cap at (a
// multiple of 50): such a page is checked with one more request.
func looksCapped(n int) bool { return n > 0 && n%50 == 0 }

// withQuery returns base with n=pageSize and, if set, last.
func withQuery(base *url.URL, last string) string {
	u := *base
	q := url.Values{"n": {fmt.Sprint(pageSize)}}
	if last != "" {
		q.Set("last", last)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// nextLink returns the rel="next" target of the response's Link header
// (RFC 8288), resolved against the request URL, or nil.
func nextLink(resp *response) (*url.URL, error) {
	for _, v := range resp.header.Values("Link") {
		for _, part := range strings.Split(v, ",") {
			target, params, ok := strings.Cut(strings.TrimSpace(part), ";")
			target = strings.TrimSpace(target)
			if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			if !isNextRel(params) {
				continue
			}
			u, err := url.Parse(target[1 : len(target)-1])
			if err != nil {
				return nil, fmt.Errorf("%w: parsing Link %q: %v", ErrTruncated, target, err)
			}
			return resp.url.ResolveReference(u), nil
		}
	}
	return nil, nil
}

func isNextRel(params string) bool {
	for _, p := range strings.Split(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "rel") {
			continue
		}
		for _, r := range strings.Fields(strings.Trim(strings.TrimSpace(v), `"`)) {
			if strings.EqualFold(r, "next") {
				return true
			}
		}
	}
	return false
}

func tagsField(body []byte) ([]string, error) {
	var page struct {
		Tags []string `json:"tags"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return nil, err
	}
	return page.Tags, nil
}

func repositoriesField(body []byte) ([]string, error) {
	var page struct {
		Repositories []string `json:"repositories"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return nil, err
	}
	return page.Repositories, nil
}
