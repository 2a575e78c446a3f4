package rest

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/regprune/regprune/retention/registry"
)

// Walker says where a list's pages must be: a page anywhere else ends
// the list with ErrTruncated, so that no credentials leave the API.
type Walker struct {
	// API names the service in errors ("the Docker Hub API").
	API string
	// Base is the prefix of every page's URL (the API's base with its
	// trailing slash).
	Base string
}

// Pages reads a list of T page by page, from the page at first, until a
// page names no next one: get reads the page at u and returns its items
// and the next page's URL ("" at the end: from a body's next field,
// NextLink, or NextPage). each is called for every item, in order. A
// page that fails fails the whole list, never a shorter one.
func Pages[T any](ctx context.Context, w Walker, first string, get func(ctx context.Context, u string) (items []T, next string, err error), each func(T)) error {
	for u := first; u != ""; {
		if !strings.HasPrefix(u, w.Base) {
			return fmt.Errorf("%w: %s's next page %q is not on %s", registry.ErrTruncated, w.API, u, strings.TrimSuffix(w.Base, "/"))
		}
		items, next, err := get(ctx, u)
		if err != nil {
			return err
		}
		for _, it := range items {
			each(it)
		}
		u = next
	}
	return nil
}

// linkNext matches the next page of an RFC 8288 Link header.
var linkNext = regexp.MustCompile(`<([^>]*)>\s*;[^,]*\brel="?next"?`)

// NextLink returns the URL of h's Link rel="next", resolved against the
// page it came with (cur); "" when there is none.
func NextLink(h http.Header, cur string) string {
	for _, v := range h.Values("Link") {
		m := linkNext.FindStringSubmatch(v)
		if m == nil {
			continue
		}
		base, err := url.Parse(cur)
		if err != nil {
			return m[1]
		}
		next, err := base.Parse(m[1])
		if err != nil {
			return m[1]
		}
		return next.String()
	}
	return ""
}

// NextPage returns cur with its page parameter set to the page of h's
// Link rel="next"; "" when there is none. An API that numbers its pages
// is asked for the next page at the URL the client built (as go-github
// does), wherever its Link points.
func NextPage(h http.Header, cur string) string {
	next := NextLink(h, cur)
	if next == "" {
		return ""
	}
	n, err := url.Parse(next)
	if err != nil || n.Query().Get("page") == "" {
		return ""
	}
	u, err := url.Parse(cur)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("page", n.Query().Get("page"))
	u.RawQuery = q.Encode()
	return u.String()
}
