package oci

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/regprune/regprune/retention"
)

// mediaTypeSimpleSigning is the layer of a cosign signature: a
// simple-signing payload that names the signed image.
const mediaTypeSimpleSigning = "application/vnd.dev.cosign.simplesigning.v1+json"

// maxPayloadBytes bounds a signature payload read (they are a few
// hundred bytes).
const maxPayloadBytes = 1 << 20

// placeSubject decides, for the subject of attachment tags that is not in
// this repository, whether it was deleted from here (it is an orphan) or
// may live elsewhere. With cosign's COSIGN_REPOSITORY, signatures are
// stored in another repository than their image, and a missing subject
// says nothing. A .sig whose simple-signing payload names this
// repository proves the subject belonged here; anything else, or a
// payload that cannot be read, leaves it unplaced: "" and a reason.
func (l *lister) placeSubject(ctx context.Context, subject string, sigs []*manifest) (orphan bool, why string, err error) {
	for _, m := range sigs {
		for _, layer := range m.layers {
			if string(layer.MediaType) != mediaTypeSimpleSigning {
				continue
			}
			payload, err := l.payload(ctx, layer.Digest.String())
			if err != nil {
				return false, "", fmt.Errorf("reading the signature payload %s: %w", layer.Digest, err)
			}
			ref, ok := signedRepository(payload)
			switch {
			case !ok:
				continue
			case retention.CanonicalName(ref) == retention.CanonicalName(l.rc.name):
				return true, "", nil
			default:
				return false, "subject " + subject + " is not in this repository; its signature names " + ref + ", so it is kept (signatures stored apart, as with COSIGN_REPOSITORY, are never orphans)", nil
			}
		}
	}
	return false, "subject " + subject + " is not in this repository, and no signature payload names where it lives (it may be stored apart, as with COSIGN_REPOSITORY), so it is kept", nil
}

// payload reads a signature payload blob, through the cache (content
// addressed like a manifest: its bytes are checked against the digest).
func (l *lister) payload(ctx context.Context, digest string) ([]byte, error) {
	c := l.c.opts.cache
	if c != nil {
		if raw, _, ok := c.Manifest(l.rc.name, digest); ok && digestOf(raw) == digest {
			return raw, nil
		}
	}
	resp, err := l.rc.do(ctx, http.MethodGet, "blobs/"+digest, nil, maxPayloadBytes, http.StatusOK)
	if err != nil {
		return nil, err
	}
	if c != nil && digestOf(resp.body) == digest {
		c.PutManifest(l.rc.name, digest, resp.body, mediaTypeSimpleSigning)
	}
	return resp.body, nil
}

// signedRepository reads the repository a simple-signing payload names
// (critical.identity.docker-reference, without tag or digest).
func signedRepository(payload []byte) (string, bool) {
	var p struct {
		Critical struct {
			Identity struct {
				DockerReference string `json:"docker-reference"`
			} `json:"identity"`
		} `json:"critical"`
	}
	if json.Unmarshal(payload, &p) != nil || p.Critical.Identity.DockerReference == "" {
		return "", false
	}
	ref := p.Critical.Identity.DockerReference
	if r, err := name.ParseReference(ref); err == nil {
		return r.Context().Name(), true
	}
	if i := strings.LastIndexAny(ref, "@"); i > 0 {
		ref = ref[:i]
	}
	return ref, true
}
