package dockerhub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/registry"
	"github.com/regprune/regprune/retention/registry/internal/rest"
)

// hubPage is a page of the Hub API's lists.
type hubPage[T any] struct {
	Count   int     `json:"count"`
	Next    *string `json:"next"`
	Results []T     `json:"results"`
}

type hubTag struct {
	Name          string  `json:"name"`
	Digest        string  `json:"digest"`
	MediaType     string  `json:"media_type"`
	TagLastPushed *string `json:"tag_last_pushed"`
	TagLastPulled *string `json:"tag_last_pulled"`
	// Images are an index's platform manifests (attestations included),
	// or the image itself.
	Images []struct {
		Digest string `json:"digest"`
	} `json:"images"`
}

// manifest is what the tag list says of the manifest t points at,
// without reading it: its media type and, for an index, its children
// (images[]). An index whose images[] is empty gets no children (nil),
// so nothing takes it for an index that lists nothing: it is read.
func (t hubTag) manifest() retention.Manifest {
	m := retention.Manifest{Digest: t.Digest, MediaType: t.MediaType}
	if !m.IsIndex() {
		return m
	}
	for _, im := range t.Images {
		if im.Digest != "" && im.Digest != t.Digest {
			m.Children = append(m.Children, im.Digest)
		}
	}
	return m
}

type hubImage struct {
	Digest     string `json:"digest"`
	LastPushed string `json:"last_pushed"`
}

// walker keeps every page on the API.
func (c *Client) walker() rest.Walker {
	return rest.Walker{API: "the Docker Hub API", Base: c.api + "/"}
}

// page reads one page of a list into a []T, and names the next page by
// the page's next URL.
func page[T any](c *Client) func(ctx context.Context, u string) ([]T, string, error) {
	return func(ctx context.Context, u string) ([]T, string, error) {
		var p hubPage[T]
		status, err := c.call(ctx, http.MethodGet, u, &p)
		if err != nil {
			return nil, "", err
		}
		if status != http.StatusOK {
			return nil, "", hubError(status, u)
		}
		if p.Next == nil {
			return p.Results, "", nil
		}
		return p.Results, *p.Next, nil
	}
}

// hubError is the Hub API's answer status onto the core's sentinels (the
// REST kit's), but that a 404 means the repository is missing.
func hubError(status int, u string) error {
	e := &rest.Error{API: "the Docker Hub API", Status: status, URL: u}
	if status == http.StatusNotFound {
		e.Kind = registry.ErrRepositoryNotFound
	}
	return e
}

func parseTime(s *string) time.Time {
	if s == nil {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// shallow lists a repository from the Hub API alone: every tag with its
// digest, push and pull times (100 a page), the media type and an
// index's children (images[]) of what it points at, and, where the
// account's plan allows it, the untagged manifests. Subjects are
// unknown: the listing is Shallow.
func (c *Client) shallow(ctx context.Context, repo string) (retention.Listing, error) {
	ns, name, err := split(repo)
	if err != nil {
		return retention.Listing{}, err
	}
	l := retention.Listing{Repository: repo, Manifests: map[string]retention.Manifest{}, Missing: map[string]bool{}, Shallow: true, ReportsPulls: true}
	var bad []string
	byDigest := map[string][]string{}
	tagsURL := fmt.Sprintf("%s/v2/namespaces/%s/repositories/%s/tags?page_size=100", c.api, url.PathEscape(ns), url.PathEscape(name))
	if err := rest.Pages(ctx, c.walker(), tagsURL, page[hubTag](c), func(t hubTag) {
		if t.Digest == "" {
			bad = append(bad, t.Name)
			return
		}
		l.Tags = append(l.Tags, retention.Tag{Name: t.Name, Digest: t.Digest, Pushed: parseTime(t.TagLastPushed), Pulled: parseTime(t.TagLastPulled)})
		l.Manifests[t.Digest] = t.manifest()
		byDigest[t.Digest] = append(byDigest[t.Digest], t.Name)
	}); err != nil {
		return retention.Listing{}, fmt.Errorf("listing tags of %s: %w", repo, err)
	}
	if len(bad) > 0 {
		// A tag whose digest is unknown might point at anything: nothing
		// may be deleted on the strength of this listing.
		return retention.Listing{}, fmt.Errorf("%w: the Docker Hub API gives no digest for tag(s) %s of %s", registry.ErrTruncated, strings.Join(bad, ", "), repo)
	}
	sort.Slice(l.Tags, func(i, j int) bool { return l.Tags[i].Name < l.Tags[j].Name })
	imagesURL := fmt.Sprintf("%s/v2/namespaces/%s/repositories/%s/images?currently_tagged=false&page_size=100", c.api, url.PathEscape(ns), url.PathEscape(name))
	err = rest.Pages(ctx, c.walker(), imagesURL, page[hubImage](c), func(im hubImage) {
		if len(byDigest[im.Digest]) == 0 {
			l.Untagged = append(l.Untagged, retention.Untagged{Digest: im.Digest, Pushed: parseTime(&im.LastPushed)})
		}
	})
	var refused *rest.Error
	switch {
	case errors.As(err, &refused) && refused.Status == http.StatusForbidden:
		l.Untagged = nil
		l.Notes = append(l.Notes, "untagged: Docker Hub lists untagged manifests only on paid plans (the images list answered 403), so untagged deletes nothing here")
	case err != nil:
		return retention.Listing{}, fmt.Errorf("listing untagged manifests of %s: %w", repo, err)
	default:
		l.ListsUntagged = true
	}
	c.mu.Lock()
	c.tagsOf[repo] = byDigest
	c.mu.Unlock()
	return l, nil
}

// List lists repo; with needTime, its manifests are read over the OCI
// API for creation times (once per digest).
func (c *Client) List(ctx context.Context, repo string, needTime bool, now time.Time) (retention.Listing, error) {
	l, err := c.shallow(ctx, repo)
	if err != nil || !needTime {
		return l, err
	}
	return c.describe(ctx, l, true, now)
}

// Deepen reads the manifests of a shallow listing (no configs) that a
// plan needs before deleting: want, those it deletes, and any tagged
// manifest the tag list does not describe (see readFor); every manifest
// when want is nil. Each read is a pull, so the pull-limit guard runs
// first.
func (c *Client) Deepen(ctx context.Context, l retention.Listing, want []string, now time.Time) (retention.Listing, error) {
	if want == nil {
		return c.describe(ctx, l, false, now)
	}
	return c.readFor(ctx, l, want)
}

// describe reads a listing's manifests over the OCI API, where every
// manifest GET counts against Docker Hub's pull limit: it first reads
// what remains (a HEAD, which does not count) and refuses, keeping
// everything, when the reads would use it up.
func (c *Client) describe(ctx context.Context, l retention.Listing, needTime bool, now time.Time) (retention.Listing, error) {
	digests := map[string]bool{}
	for _, t := range l.Tags {
		digests[t.Digest] = true
	}
	for _, u := range l.Untagged {
		digests[u.Digest] = true
	}
	if len(l.Tags) > 0 {
		left, ok, err := c.PullsRemaining(ctx, l.Repository, l.Tags[0].Name)
		if err != nil {
			return retention.Listing{}, err
		}
		if ok {
			l.Notes = append(l.Notes, fmt.Sprintf("Docker Hub pull limit: %d pulls remaining before reading %d manifests", left, len(digests)))
			if left < len(digests) {
				// clock: pushed reads only what the plan deletes, unless
				// an untagged rule needs every manifest (needTime unset).
				advice := ""
				if needTime {
					advice = ", or with clock: pushed"
				}
				return retention.Listing{}, fmt.Errorf("%w: reading the %d manifests of %s would pass Docker Hub's pull limit (%d pulls remaining), so nothing is deleted there; plan again later%s", retention.ErrRateLimited, len(digests), l.Repository, left, advice)
			}
		}
	}
	return c.Describe(ctx, l, needTime, now)
}

// ListTags lists the tags of repo from the Hub API.
func (c *Client) ListTags(ctx context.Context, repo string) ([]string, error) {
	l, err := c.shallow(ctx, repo)
	if err != nil {
		return nil, err
	}
	return l.TagNames(), nil
}

// Catalog lists the repositories of a namespace, given HOST/NAMESPACE.
func (c *Client) Catalog(ctx context.Context, scope string) ([]string, error) {
	host, ns, ok := strings.Cut(scope, "/")
	if !ok {
		return nil, fmt.Errorf("%s has no catalog: a glob there must name its namespace (%s/NAMESPACE/*)", scope, scope)
	}
	var out []string
	u := fmt.Sprintf("%s/v2/repositories/%s/?page_size=100", c.api, url.PathEscape(ns))
	if err := rest.Pages(ctx, c.walker(), u, page[struct {
		Name string `json:"name"`
	}](c), func(r struct {
		Name string `json:"name"`
	}) {
		out = append(out, host+"/"+ns+"/"+r.Name)
	}); err != nil {
		return nil, fmt.Errorf("listing the repositories of %s: %w", scope, err)
	}
	return out, nil
}

// Referrers answers that the Hub API gives none (signature tags are
// listed with the tags).
func (c *Client) Referrers(context.Context, string, string) ([]v1.Descriptor, bool, error) {
	return nil, false, nil
}
