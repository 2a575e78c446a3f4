package seed

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Pushable is what Push uploads: a v1.Image or a v1.ImageIndex.
type Pushable = remote.Taggable

// Push uploads m (with its blobs and, for an index, its children) to ref,
// a tag ("host/repo:tag") or a digest reference ("host/repo@sha256:…"),
// and returns the manifest's digest. Loopback hosts are spoken to over
// plain HTTP.
func Push(ctx context.Context, ref string, m Pushable, opts ...remote.Option) (string, error) {
	r, err := parse(ref)
	if err != nil {
		return "", err
	}
	if err := remote.Push(r, m, append([]remote.Option{remote.WithContext(ctx)}, opts...)...); err != nil {
		return "", fmt.Errorf("pushing %s: %w", ref, err)
	}
	d, err := digestOf(m)
	if err != nil {
		return "", fmt.Errorf("pushing %s: %w", ref, err)
	}
	return d.String(), nil
}

// PushByDigest uploads m to repo ("host/repo") without a tag and returns
// its digest.
func PushByDigest(ctx context.Context, repo string, m Pushable, opts ...remote.Option) (string, error) {
	d, err := digestOf(m)
	if err != nil {
		return "", fmt.Errorf("pushing to %s: %w", repo, err)
	}
	return Push(ctx, repo+"@"+d.String(), m, opts...)
}

// Tag points ref ("host/repo:tag") at the manifest digest already in the
// same repository, as `crane tag` does.
func Tag(ctx context.Context, ref, digest string, opts ...remote.Option) error {
	r, err := parse(ref)
	if err != nil {
		return err
	}
	t, ok := r.(name.Tag)
	if !ok {
		return fmt.Errorf("tagging %s: not a tag reference", ref)
	}
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	desc, err := remote.Get(t.Context().Digest(digest), opts...)
	if err != nil {
		return fmt.Errorf("tagging %s: getting %s: %w", ref, digest, err)
	}
	if err := remote.Tag(t, desc, opts...); err != nil {
		return fmt.Errorf("tagging %s: %w", ref, err)
	}
	return nil
}

// Descriptor returns m's descriptor (media type, size, digest), as a
// subject for WithSubject or Referrer.
func Descriptor(m Pushable) (v1.Descriptor, error) {
	dm, ok := m.(partial.Describable)
	if !ok {
		return v1.Descriptor{}, fmt.Errorf("describing manifest: %T has no digest", m)
	}
	d, err := partial.Descriptor(dm)
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("describing manifest: %w", err)
	}
	return *d, nil
}

func digestOf(m Pushable) (v1.Hash, error) {
	if d, ok := m.(interface{ Digest() (v1.Hash, error) }); ok {
		return d.Digest()
	}
	raw, err := m.RawManifest()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("reading manifest: %w", err)
	}
	h, _, err := v1.SHA256(bytes.NewReader(raw))
	return h, err
}

// parse parses a reference, marking loopback registries insecure (plain
// HTTP) the way test and demo registries run.
func parse(ref string) (name.Reference, error) {
	var opts []name.Option
	if host, _, _ := strings.Cut(ref, "/"); isLoopback(host) {
		opts = append(opts, name.Insecure)
	}
	r, err := name.ParseReference(ref, opts...)
	if err != nil {
		return nil, fmt.Errorf("parsing reference %q: %w", ref, err)
	}
	return r, nil
}

func isLoopback(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
