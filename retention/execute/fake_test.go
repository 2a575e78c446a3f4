package execute_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/execute"
	"github.com/regprune/regprune/retention/manifest"
	"github.com/regprune/regprune/retention/registry"
)

// fakeRegistry is a registry in a map, for table tests of the executor's
// checks at its seam (the real-server tests cover the same checks against
// Distribution). head overrides what a HEAD says a tag points at; fail
// makes an operation on a ref fail.
type fakeRegistry struct {
	mu      sync.Mutex
	tags    map[string]string // tag -> digest
	head    map[string]string
	fail    map[string]error // "resolve <tag>", "delete <ref>"
	deleted []string
	// index maps an index's digest to its children; a tag on one
	// resolves with the OCI index media type.
	index map[string][]string
	// subject maps a manifest to the subject its body names; present
	// holds manifests that exist with no tag (and no index lists).
	subject map[string]string
	absent  map[string]bool
	// onDelete, when set, is called after each successful DELETE with
	// its reference (a tag or a digest).
	onDelete func(ref string)
	// failOnce answers an operation once with its error (then forgets
	// it), calling onFail; sent records every digest DELETE sent.
	failOnce map[string]error
	onFail   func(ref string)
	sent     []string
	// dangle makes a digest DELETE leave its tags listed, each still
	// resolving to the deleted digest (go-containerregistry's registry).
	dangle bool
	// onList, when set, is called at each tag listing (under the lock).
	onList func()
	// named records the tags each digest DELETE named.
	named map[string][]string
	// untagged holds manifests no tag points at with their push times,
	// listed by replan (as the GitHub Packages API lists them); firstSeen
	// and created are what a listing knows of a manifest's age.
	untagged  map[string]time.Time
	firstSeen map[string]time.Time
	created   map[string]time.Time
}

// replan plans the fake's repository afresh under rules, as the
// planner does: a listing of what the fake holds, decided by Decide.
func (f *fakeRegistry) replan(rules *retention.Rules) execute.Replanner {
	return func(_ context.Context, repo string, now time.Time) (retention.Listing, retention.RepoPlan, time.Time, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.onList != nil {
			f.onList()
		}
		l := retention.Listing{Repository: repo, Manifests: map[string]retention.Manifest{}, ListsUntagged: f.untagged != nil}
		describe := func(d string) {
			m := retention.Manifest{Digest: d, MediaType: manifest.MediaTypeOCIManifest, Subject: f.subject[d],
				FirstSeen: f.firstSeen[d], Created: f.created[d], CreatedSource: "config"}
			if cs, ok := f.index[d]; ok {
				m.MediaType, m.Children = manifest.MediaTypeOCIIndex, cs
			}
			l.Manifests[d] = m
		}
		for _, t := range slices.Sorted(maps.Keys(f.tags)) {
			d := f.tags[t]
			l.Tags = append(l.Tags, retention.Tag{Name: t, Digest: d})
			describe(d)
			for _, c := range f.index[d] {
				describe(c)
			}
		}
		for _, d := range slices.Sorted(maps.Keys(f.untagged)) {
			l.Untagged = append(l.Untagged, retention.Untagged{Digest: d, Pushed: f.untagged[d]})
			describe(d)
		}
		return l, retention.Decide(now, rules, l), time.Time{}, nil
	}
}

func (f *fakeRegistry) ListTags(context.Context, string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.onList != nil {
		f.onList()
	}
	var out []string
	for t := range f.tags {
		out = append(out, t)
	}
	return out, nil
}

func (f *fakeRegistry) ResolveTag(ctx context.Context, repo, tag string) (string, string, error) {
	d, mt, err := f.ReadTag(ctx, repo, tag)
	f.mu.Lock()
	defer f.mu.Unlock()
	if h, ok := f.head[tag]; ok && err == nil {
		d = h
	}
	return d, mt, err
}

func (f *fakeRegistry) ReadTag(_ context.Context, _, tag string) (string, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail["resolve "+tag]; err != nil {
		return "", "", err
	}
	d, ok := f.tags[tag]
	if !ok {
		return "", "", fmt.Errorf("tag %s: %w", tag, retention.ErrNotFound)
	}
	if _, ok := f.index[d]; ok {
		return d, manifest.MediaTypeOCIIndex, nil
	}
	return d, manifest.MediaTypeOCIManifest, nil
}

func (f *fakeRegistry) Children(_ context.Context, _, digest string) ([]v1.Descriptor, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []v1.Descriptor
	for _, c := range f.index[digest] {
		h, err := v1.NewHash(c)
		if err != nil {
			return nil, err
		}
		out = append(out, v1.Descriptor{Digest: h, MediaType: manifest.MediaTypeOCIManifest})
	}
	return out, nil
}

func (f *fakeRegistry) Exists(_ context.Context, _, digest string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.exists(digest), nil
}

// exists: every manifest exists, tagged or not, until it is deleted
// by digest, except those the test marks absent.
func (f *fakeRegistry) exists(digest string) bool {
	return !f.absent[digest] && !slices.Contains(f.deleted, digest)
}

// RawManifest serves a manifest made up from what the fake knows: an
// index lists its children, an image names its subject.
func (f *fakeRegistry) RawManifest(_ context.Context, _, digest string) ([]byte, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail["read "+digest]; err != nil {
		return nil, "", err
	}
	if !f.exists(digest) {
		return nil, "", fmt.Errorf("%s: %w", digest, retention.ErrNotFound)
	}
	if cs, ok := f.index[digest]; ok {
		var ms []map[string]string
		for _, c := range cs {
			ms = append(ms, map[string]string{"digest": c, "mediaType": manifest.MediaTypeOCIManifest})
		}
		b, _ := json.Marshal(map[string]any{"mediaType": manifest.MediaTypeOCIIndex, "manifests": ms})
		return b, manifest.MediaTypeOCIIndex, nil
	}
	m := map[string]any{"mediaType": manifest.MediaTypeOCIManifest}
	if s := f.subject[digest]; s != "" {
		m["subject"] = map[string]string{"digest": s}
	}
	b, _ := json.Marshal(m)
	return b, manifest.MediaTypeOCIManifest, nil
}

func (f *fakeRegistry) DeleteTag(_ context.Context, _, tag string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail["delete "+tag]; err != nil {
		return err
	}
	delete(f.tags, tag)
	f.deleted = append(f.deleted, tag)
	if f.onDelete != nil {
		f.onDelete(tag)
	}
	return nil
}

func (f *fakeRegistry) DeleteDigest(_ context.Context, _, digest string, tags []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, digest)
	if err := f.failOnce["delete "+digest]; err != nil {
		delete(f.failOnce, "delete "+digest)
		if f.onFail != nil {
			f.onFail(digest)
		}
		return err
	}
	if err := f.fail["delete "+digest]; err != nil {
		return err
	}
	if f.named == nil {
		f.named = map[string][]string{}
	}
	f.named[digest] = tags
	for t, d := range f.tags {
		if d == digest && !f.dangle {
			delete(f.tags, t)
		}
	}
	f.deleted = append(f.deleted, digest)
	if f.onDelete != nil {
		f.onDelete(digest)
	}
	return nil
}

func fakeDigest(n string) string { return "sha256:" + strings.Repeat(n, 64)[:64] }

// TestChecksAtTheSeam: the executor's checks right before deleting, over
// a fake registry: the outcome of deleting old (sha256:1…) and the
// repository's error.
func TestChecksAtTheSeam(t *testing.T) {
	const repo = "reg.example/app"
	old, kept := fakeDigest("1"), fakeDigest("2")
	tests := []struct {
		name    string
		change  func(*fakeRegistry)
		status  retention.Status
		reason  string // in the deletion's reason or error
		repoErr string // in the repository's error; "" for none
	}{
		{"unchanged", func(*fakeRegistry) {}, retention.StatusDeleted, "", ""},
		{"tag moved", func(f *fakeRegistry) { f.tags["old"] = fakeDigest("3") }, retention.StatusSkipped, "moved", ""},
		{"new tag on it", func(f *fakeRegistry) { f.tags["new"] = old }, retention.StatusSkipped, "new", ""},
		// Untagged by someone else since: the manifest still goes.
		{"tag gone", func(f *fakeRegistry) { delete(f.tags, "old") }, retention.StatusDeleted, "", ""},
		{"unresolvable tag", func(f *fakeRegistry) {
			f.tags["odd"] = kept
			f.fail = map[string]error{"resolve odd": fmt.Errorf("503: %w", registry.ErrUnreachable)}
		},
			retention.StatusSkipped, "re-reading the repository before deleting failed", "odd could not be resolved"},
		{"lying header", func(f *fakeRegistry) { f.head = map[string]string{"old": fakeDigest("9")} },
			retention.StatusSkipped, "re-reading the repository before deleting failed", "Docker-Content-Digest"},
		{"delete refused", func(f *fakeRegistry) {
			f.fail = map[string]error{"delete " + old: fmt.Errorf("405: %w", retention.ErrUnsupported)}
		}, retention.StatusFailed, "refuses DELETE", "refuses DELETE"},
		{"delete fails", func(f *fakeRegistry) {
			f.fail = map[string]error{"delete " + old: fmt.Errorf("500: %w", registry.ErrUnreachable)}
		}, retention.StatusFailed, "unreachable", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeRegistry{tags: map[string]string{"old": old, "keep": kept}}
			plan := &retention.Plan{SchemaVersion: retention.SchemaVersion, Mode: retention.ModePlan, Repositories: []retention.RepoPlan{{
				Repository: repo,
				Tags: []retention.TagDecision{
					{Tag: "keep", Digest: kept, Action: retention.Keep},
					{Tag: "old", Digest: old, Action: retention.Delete},
				},
				Deletions: []retention.Deletion{{Digest: old, Tags: []string{"old"}, Kind: retention.KindImage, Reason: "every tag on it is deleted"}},
			}}}
			tt.change(f)
			out := execute.Apply(context.Background(), f, keepRules(t, []string{repo}, "keep"), plan, now, execute.Options{})
			rp := out.Repositories[0]
			d := rp.Deletions[0]
			if d.Status != tt.status || !strings.Contains(d.Reason+d.Error, tt.reason) {
				t.Errorf("deletion: %s (reason %q, error %q), want %s with %q", d.Status, d.Reason, d.Error, tt.status, tt.reason)
			}
			if tt.repoErr == "" && rp.Error != "" || !strings.Contains(rp.Error, tt.repoErr) {
				t.Errorf("repository error %q, want %q", rp.Error, tt.repoErr)
			}
			if _, still := f.tags["keep"]; !still {
				t.Error("the kept tag was deleted")
			}
		})
	}
}
