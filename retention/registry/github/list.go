package github

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	gh "github.com/google/go-github/v93/github"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/manifest"
	"github.com/regprune/regprune/retention/registry"
	"github.com/regprune/regprune/retention/registry/internal/rest"
)

// versions lists every active version of a package, 100 a page,
// following Link to the end. A listing cut short is an error, never a
// shorter list.
func (c *Client) versions(ctx context.Context, o owner, pkg string) ([]*gh.PackageVersion, error) {
	return c.versionsIn(ctx, o, pkg, "active")
}

// versionsIn lists the versions of a package in a state: active, or
// deleted (restorable for 30 days).
func (c *Client) versionsIn(ctx context.Context, o owner, pkg, state string) ([]*gh.PackageVersion, error) {
	var all []*gh.PackageVersion
	first := fmt.Sprintf("%s%s/packages/container/%s/versions?per_page=100&page=1&state=%s", c.api.BaseURL(), o.path(), url.PathEscape(pkg), state)
	err := rest.Pages(ctx, c.walker(), first, page[*gh.PackageVersion](c, explain), func(v *gh.PackageVersion) { all = append(all, v) })
	return all, err
}

// walker keeps every page on the API's base.
func (c *Client) walker() rest.Walker {
	return rest.Walker{API: "the GitHub API", Base: c.api.BaseURL()}
}

// page reads one page of a list into a []T, and names the next page by
// the number in its Link (as go-github reads it), at the URL this
// client built; why explains a failed page.
func page[T any](c *Client, why func(error) error) func(ctx context.Context, u string) ([]T, string, error) {
	return func(ctx context.Context, u string) ([]T, string, error) {
		req, err := c.api.NewRequest(ctx, "GET", u, nil)
		if err != nil {
			return nil, "", err
		}
		var batch []T
		resp, err := c.api.Do(req, &batch)
		if err != nil {
			return nil, "", why(err)
		}
		return batch, rest.NextPage(resp.Header, u), nil
	}
}

// tagsOf decodes a version's container tags.
func tagsOf(v *gh.PackageVersion) ([]string, error) {
	if len(v.Metadata) == 0 {
		return nil, nil
	}
	var md gh.PackageMetadata
	if err := json.Unmarshal(v.Metadata, &md); err != nil {
		return nil, fmt.Errorf("version %d: decoding metadata: %w", v.GetID(), err)
	}
	if md.Container == nil {
		return nil, nil
	}
	return md.Container.Tags, nil
}

// List reads one package: its versions give every manifest, tagged or
// not, with its tags and push time. With needTime, each distinct digest
// is read over the OCI API (manifest, children, subject, and the config
// of what ordinary tags point at); without, nothing is, and the listing
// is Shallow (the planner deepens it before deleting anything).
func (c *Client) List(ctx context.Context, repo string, needTime bool, now time.Time) (retention.Listing, error) {
	listing, err := c.shallow(ctx, repo)
	if err != nil {
		return retention.Listing{}, err
	}
	if !needTime {
		return listing, nil
	}
	return c.Describe(ctx, listing, true, now)
}

// Deepen reads the manifests of a shallow listing (no configs): every
// one, since the versions list gives no media types or children (want
// is not needed).
func (c *Client) Deepen(ctx context.Context, l retention.Listing, _ []string, now time.Time) (retention.Listing, error) {
	return c.Describe(ctx, l, false, now)
}

func (c *Client) shallow(ctx context.Context, repo string) (retention.Listing, error) {
	o, pkg, err := c.packageOf(ctx, repo)
	if err != nil {
		return retention.Listing{}, fmt.Errorf("listing %s: %w", repo, err)
	}
	vs, err := c.versions(ctx, o, pkg)
	if err != nil {
		return retention.Listing{}, fmt.Errorf("listing versions of %s: %w", repo, err)
	}
	l := retention.Listing{Repository: repo, Manifests: map[string]retention.Manifest{}, Missing: map[string]bool{}, ListsUntagged: true, Shallow: true}
	ids := map[string]int64{}
	for _, v := range vs {
		tags, err := tagsOf(v)
		if err != nil {
			return retention.Listing{}, fmt.Errorf("listing versions of %s: %w", repo, err)
		}
		dg, pushed := v.GetName(), v.GetCreatedAt().Time
		ids[dg] = v.GetID()
		if len(tags) == 0 {
			l.Untagged = append(l.Untagged, retention.Untagged{Digest: dg, Pushed: pushed})
		}
		for _, t := range tags {
			l.Tags = append(l.Tags, retention.Tag{Name: t, Digest: dg, Pushed: pushed})
		}
	}
	sort.Slice(l.Tags, func(i, j int) bool { return l.Tags[i].Name < l.Tags[j].Name })
	// Every manifest is a version: a signature's subject that is none is
	// gone.
	for _, t := range l.Tags {
		if subject, ok := manifest.AttachmentSubject(t.Name); ok {
			if _, exists := ids[subject]; !exists {
				l.Missing[subject] = true
			}
		}
	}
	c.mu.Lock()
	c.versionIDs[repo] = ids
	c.mu.Unlock()
	return l, nil
}

// Scope is what a glob is expanded within: HOST/OWNER when the pattern
// names its owner literally (GitHub lists packages per owner), else
// HOST, whose Catalog then fails.
func (c *Client) Scope(pattern string) string { return registry.OwnerScope(pattern) }

// Catalog lists the container packages of one owner, given HOST/OWNER,
// through "list packages", as HOST/OWNER/NAME repositories. ghcr.io has
// no _catalog, so HOST alone is refused, and so is a GITHUB_TOKEN, which
// cannot list packages.
func (c *Client) Catalog(ctx context.Context, scope string) ([]string, error) {
	host, ownerName, ok := strings.Cut(scope, "/")
	if !ok {
		return nil, fmt.Errorf("%s has no catalog: a glob there must name its owner (%s/OWNER/*)", scope, scope)
	}
	o, err := c.ownerOf(ctx, ownerName)
	if err != nil {
		return nil, err
	}
	var out []string
	first := fmt.Sprintf("%s%s/packages?package_type=container&per_page=100&page=1", c.api.BaseURL(), o.path())
	why := func(err error) error { return catalogError(scope, err) }
	err = rest.Pages(ctx, c.walker(), first, page[*gh.Package](c, why), func(p *gh.Package) {
		out = append(out, host+"/"+ownerName+"/"+p.GetName())
	})
	return out, err
}

// catalogError says what to do when packages cannot be listed.
func catalogError(scope string, err error) error {
	var er *gh.ErrorResponse
	if asErrorResponse(err, &er) {
		switch {
		case er.Response.StatusCode == http.StatusForbidden && strings.Contains(er.Message, "not accessible by integration"):
			return fmt.Errorf("%w: listing the packages of %s: a GITHUB_TOKEN cannot list packages; name the packages exactly, or use a classic PAT with read:packages (%v)", retention.ErrDenied, scope, err)
		case er.Response.StatusCode == http.StatusBadRequest && strings.Contains(er.Message, "10000"):
			return fmt.Errorf("listing the packages of %s: GitHub lists at most 10,000 packages of an organization; name the packages exactly (%v)", scope, err)
		}
	}
	return explain(fmt.Errorf("listing the packages of %s: %w", scope, err))
}

// ListTags lists the tags of a package from its versions.
func (c *Client) ListTags(ctx context.Context, repo string) ([]string, error) {
	l, err := c.shallow(ctx, repo)
	if err != nil {
		return nil, err
	}
	return l.TagNames(), nil
}
