package oci

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/registry/internal/rest"
)

// Body size limits. Manifests: the OCI spec asks registries to accept at
// least 4 MiB; we allow twice that. Config blobs and list pages are JSON
// as well; 32 MiB leaves room for images with very long histories while
// bounding what one response can cost in memory.
const (
	maxManifestBytes = 8 << 20
	maxJSONBytes     = 32 << 20
)

// repoConn is one repository with its authenticated transport.
type repoConn struct {
	c    *Client
	repo name.Repository
	name string // full name as the caller wrote it
	rt   http.RoundTripper
}

// response is a finished exchange: the body has been read and closed.
type response struct {
	status int
	header http.Header
	body   []byte
	url    *url.URL
}

// url returns the URL of path under /v2/<repository>/.
func (rc *repoConn) url(path string) string {
	return fmt.Sprintf("%s://%s/v2/%s/%s", rc.c.scheme(rc.repo.Registry), rc.repo.RegistryStr(), rc.repo.RepositoryStr(), path)
}

// do sends one request (retried underneath) while holding one of the
// client's request slots, shared fairly by key (the repository), and reads at most limit bytes of the body. A status
// outside ok is returned as a classified *transport.Error.
func (c *Client) do(ctx context.Context, key string, rt http.RoundTripper, method, rawURL string, accept []string, limit int64, ok ...int) (*response, error) {
	req, err := http.NewRequestWithContext(ctx, method, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("building request: %w", err)
	}
	if len(accept) > 0 {
		req.Header.Set("Accept", strings.Join(accept, ", "))
	}
	if err := c.slots.acquire(ctx, key); err != nil {
		return nil, err
	}
	defer c.slots.release(key)
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		return nil, sendAgain(method, nil, classify(err), c.opts.maxWaitOf(req.URL.Host))
	}
	defer resp.Body.Close()
	if !slices.Contains(ok, resp.StatusCode) {
		return nil, sendAgain(method, resp, classify(transport.CheckError(resp, ok...)), c.opts.maxWaitOf(req.URL.Host))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, classify(fmt.Errorf("reading response of %s %s: %w", method, resp.Request.URL.Redacted(), err))
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("reading response of %s %s: body larger than %d bytes", method, resp.Request.URL.Redacted(), limit)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: body, url: resp.Request.URL}, nil
}

// do is Client.do on the repository's transport, under its slot key.
func (rc *repoConn) do(ctx context.Context, method, path string, accept []string, limit int64, ok ...int) (*response, error) {
	return rc.c.do(ctx, rc.name, rc.rt, method, rc.url(path), accept, limit, ok...)
}

// sendAgain marks the failure of a DELETE or PUT that the transport
// does not resend (rest.MarkOnce) as worth sending again, where its
// retry policy would have resent it: a dropped connection, 429, a 5xx
// but 501. The caller (the executor's gate) decides, and waits what the
// registry asked for, within the cap. Other failures pass unchanged.
func sendAgain(method string, resp *http.Response, err error, limit time.Duration) error {
	if method != http.MethodDelete && method != http.MethodPut {
		return err
	}
	var tl *rest.TooLongError
	if errors.As(err, &tl) {
		return err
	}
	if resp == nil {
		if errors.Is(err, ErrTLS) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		return &retention.SendAgainError{Err: err}
	}
	if resp.StatusCode != http.StatusTooManyRequests && (resp.StatusCode < 500 || resp.StatusCode == http.StatusNotImplemented) {
		return err
	}
	a, _ := rest.Read(resp, time.Now(), rest.RetryAfter)
	if a.Wait > limit {
		return err
	}
	return &retention.SendAgainError{Err: err, After: a.Wait}
}
