package retention

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/regprune/regprune/retention/manifest"
)

var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func daysAgo(n float64) time.Time { return now.Add(-time.Duration(n * float64(24*time.Hour))) }

func dg(s string) string {
	h := fmt.Sprintf("%x", s)
	return "sha256:" + (h + strings.Repeat("0", 64))[:64]
}

// img describes a manifest and the tags on it, for building listings.
type img struct {
	id       string
	tags     []string
	created  time.Time
	index    bool
	children []string // ids
}

func listing(repo string, imgs ...img) Listing {
	l := Listing{Repository: repo, Manifests: map[string]Manifest{}, Missing: map[string]bool{}}
	for _, im := range imgs {
		m := Manifest{Digest: dg(im.id), MediaType: manifest.MediaTypeOCIManifest, Created: im.created}
		if im.index {
			m.MediaType = manifest.MediaTypeOCIIndex
			for _, c := range im.children {
				m.Children = append(m.Children, dg(c))
			}
		}
		l.Manifests[m.Digest] = m
		for _, t := range im.tags {
			l.Tags = append(l.Tags, Tag{Name: t, Digest: m.Digest})
		}
	}
	sort.Slice(l.Tags, func(i, j int) bool { return l.Tags[i].Name < l.Tags[j].Name })
	return l
}

func compile(t *testing.T, c Config) *Rules {
	t.Helper()
	r, err := c.Compile()
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return r
}

const repo = "localhost:5000/acme/api"

func policy(keep ...KeepRule) Policy {
	return Policy{Name: "p", Repositories: []string{repo}, Keep: keep}
}

// actions returns tag -> action, the shape most tests compare.
func actions(rp RepoPlan) map[string]Action {
	out := map[string]Action{}
	for _, td := range rp.Tags {
		out[td.Tag] = td.Action
	}
	return out
}

func deletionKinds(rp RepoPlan) []string {
	var out []string
	for _, d := range rp.Deletions {
		out = append(out, fmt.Sprintf("%s %s %s", d.Kind, d.Digest[7:15], strings.Join(d.Tags, ",")))
	}
	return out
}

func TestDecideActions(t *testing.T) {
	t.Parallel()
	semver := func(n int, group string, pre bool) KeepRule {
		return KeepRule{Semver: &SemverRule{Highest: n, GroupBy: group, Prerelease: pre}}
	}
	tests := []struct {
		name string
		cfg  Config
		l    Listing
		want map[string]Action
	}{{
		name: "semver highest across all versions, prereleases and non-versions ignored",
		cfg:  Config{Policies: []Policy{policy(semver(2, "", false))}},
		l: listing(repo,
			img{id: "a", tags: []string{"v1.0.0"}}, img{id: "b", tags: []string{"v1.1.0"}},
			img{id: "c", tags: []string{"1.2.0"}}, img{id: "d", tags: []string{"v2.0.0-rc.1"}},
			img{id: "e", tags: []string{"main"}}, img{id: "f", tags: []string{"20240101"}}),
		want: map[string]Action{"v1.0.0": Delete, "v1.1.0": Keep, "1.2.0": Keep, "v2.0.0-rc.1": Delete, "main": Delete, "20240101": Delete},
	}, {
		name: "semver with prereleases ranks them",
		cfg:  Config{Policies: []Policy{policy(semver(1, "", true))}},
		l:    listing(repo, img{id: "a", tags: []string{"v1.1.0"}}, img{id: "b", tags: []string{"v2.0.0-rc.1"}}),
		want: map[string]Action{"v1.1.0": Delete, "v2.0.0-rc.1": Keep},
	}, {
		name: "semver grouped by minor and by major",
		cfg: Config{Policies: []Policy{
			policy(KeepRule{Tags: []string{"v1.*"}, Semver: &SemverRule{Highest: 1, GroupBy: "minor"}},
				KeepRule{Tags: []string{"v2.*", "v3.*"}, Semver: &SemverRule{Highest: 1, GroupBy: "major"}}),
		}},
		l: listing(repo,
			img{id: "a", tags: []string{"v1.0.0"}}, img{id: "b", tags: []string{"v1.0.1"}},
			img{id: "c", tags: []string{"v1.1.0"}}, img{id: "d", tags: []string{"v1.1.5"}},
			img{id: "e", tags: []string{"v2.0.0"}}, img{id: "f", tags: []string{"v2.9.0"}}, img{id: "g", tags: []string{"v3.0.0"}}),
		want: map[string]Action{"v1.0.0": Delete, "v1.0.1": Keep, "v1.1.0": Delete, "v1.1.5": Keep, "v2.0.0": Delete, "v2.9.0": Keep, "v3.0.0": Keep},
	}, {
		name: "newest counts images, and unknown times take no place and are kept",
		cfg:  Config{Policies: []Policy{policy(KeepRule{Newest: 2})}},
		l: listing(repo,
			img{id: "a", tags: []string{"main-1"}, created: daysAgo(40)},
			img{id: "b", tags: []string{"main-2"}, created: daysAgo(30)},
			img{id: "c", tags: []string{"main-3", "main-3b"}, created: daysAgo(20)},
			img{id: "d", tags: []string{"repro"}}, // 1970: the lister reports it as unknown
			img{id: "e", tags: []string{"main-4"}, created: daysAgo(10)}),
		want: map[string]Action{"main-1": Delete, "main-2": Delete, "main-3": Keep, "main-3b": Keep, "repro": Keep, "main-4": Keep},
	}, {
		name: "youngerThan keeps recent tags and unknown times",
		cfg:  Config{Policies: []Policy{policy(KeepRule{YoungerThan: Duration(30 * 24 * time.Hour)})}},
		l: listing(repo,
			img{id: "a", tags: []string{"old"}, created: daysAgo(31)},
			img{id: "b", tags: []string{"new"}, created: daysAgo(29)},
			img{id: "c", tags: []string{"repro"}}),
		want: map[string]Action{"old": Delete, "new": Keep, "repro": Keep},
	}, {
		name: "semver-only policy deletes a tag of unknown time (no time-based decision)",
		cfg:  Config{Policies: []Policy{policy(semver(1, "", false))}},
		l:    listing(repo, img{id: "a", tags: []string{"v1.0.0"}}, img{id: "b", tags: []string{"v1.1.0"}}),
		want: map[string]Action{"v1.0.0": Delete, "v1.1.0": Keep},
	}, {
		name: "selector-only rule keeps what it selects",
		cfg:  Config{Policies: []Policy{policy(KeepRule{Tags: []string{"stable", "/^release-.+$/"}})}},
		l: listing(repo, img{id: "a", tags: []string{"stable"}}, img{id: "b", tags: []string{"release-1"}},
			img{id: "c", tags: []string{"release-"}}, img{id: "d", tags: []string{"other"}}),
		want: map[string]Action{"stable": Keep, "release-1": Keep, "release-": Delete, "other": Delete},
	}, {
		name: "tags outside the policy's selection are not governed and are kept",
		cfg: Config{Policies: []Policy{{Name: "p", Repositories: []string{repo}, Tags: []string{"pr-*"},
			Keep: []KeepRule{{Newest: 1}}}}},
		l: listing(repo, img{id: "a", tags: []string{"pr-1"}, created: daysAgo(3)}, img{id: "b", tags: []string{"pr-2"}, created: daysAgo(2)},
			img{id: "c", tags: []string{"main"}, created: daysAgo(9)}),
		want: map[string]Action{"pr-1": Delete, "pr-2": Keep, "main": Keep},
	}, {
		name: "a policy for another repository governs nothing here",
		cfg:  Config{Policies: []Policy{{Name: "p", Repositories: []string{"localhost:5000/acme/*", "localhost:5000/other"}, Exclude: []string{repo}, Keep: []KeepRule{{Newest: 1}}}}},
		l:    listing(repo, img{id: "a", tags: []string{"a"}, created: daysAgo(3)}, img{id: "b", tags: []string{"b"}, created: daysAgo(2)}),
		want: map[string]Action{"a": Keep, "b": Keep},
	}, {
		name: "several policies: deleted only if every governing policy deletes",
		cfg: Config{Policies: []Policy{
			{Name: "by-time", Repositories: []string{repo}, Keep: []KeepRule{{Newest: 1}}},
			{Name: "by-version", Repositories: []string{"localhost:5000/acme/**"}, Tags: []string{"v*"}, Keep: []KeepRule{{Semver: &SemverRule{Highest: 2}}}},
		}},
		l: listing(repo,
			img{id: "a", tags: []string{"v1.0.0"}, created: daysAgo(10)}, img{id: "b", tags: []string{"v1.1.0"}, created: daysAgo(9)},
			img{id: "c", tags: []string{"v1.2.0"}, created: daysAgo(8)}, img{id: "d", tags: []string{"main"}, created: daysAgo(1)},
			img{id: "e", tags: []string{"old"}, created: daysAgo(20)}),
		want: map[string]Action{"v1.0.0": Delete, "v1.1.0": Keep, "v1.2.0": Keep, "main": Keep, "old": Delete},
	}, {
		name: "protect.tags and minAge override every policy",
		cfg: Config{MinAge: Duration(24 * time.Hour), Protect: Protect{Tags: []string{"latest", "/^release-.+$/"}},
			Policies: []Policy{policy(KeepRule{Tags: []string{"none"}})}},
		l: listing(repo,
			img{id: "a", tags: []string{"latest"}, created: daysAgo(400)}, img{id: "b", tags: []string{"release-7"}, created: daysAgo(400)},
			img{id: "c", tags: []string{"fresh"}, created: daysAgo(0.5)}, img{id: "d", tags: []string{"unknown"}},
			img{id: "e", tags: []string{"old"}, created: daysAgo(2)}),
		want: map[string]Action{"latest": Keep, "release-7": Keep, "fresh": Keep, "unknown": Keep, "old": Delete},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rp := Decide(now, compile(t, tc.cfg), tc.l)
			if diff := cmp.Diff(tc.want, actions(rp)); diff != "" {
				t.Errorf("actions (-want +got):\n%s\nreasons: %s", diff, reasons(rp))
			}
			for _, td := range rp.Tags {
				if len(td.Reasons) == 0 {
					t.Errorf("tag %s has no reason", td.Tag)
				}
			}
		})
	}
}

func reasons(rp RepoPlan) string {
	var b strings.Builder
	for _, td := range rp.Tags {
		fmt.Fprintf(&b, "\n  %s %s: %s", td.Tag, td.Action, strings.Join(td.Reasons, " | "))
	}
	return b.String()
}

func TestDecideReasons(t *testing.T) {
	t.Parallel()
	r := compile(t, Config{
		MinAge:  Duration(24 * time.Hour),
		Protect: Protect{Tags: []string{"latest"}},
		Policies: []Policy{policy(
			KeepRule{Tags: []string{"v*"}, Semver: &SemverRule{Highest: 1}},
			KeepRule{Tags: []string{"main-*"}, Newest: 1},
		)},
	})
	l := listing(repo,
		img{id: "a", tags: []string{"v1.0.0"}, created: daysAgo(10)},
		img{id: "b", tags: []string{"v1.1.0"}, created: daysAgo(9)},
		img{id: "c", tags: []string{"main-1"}, created: daysAgo(8)},
		img{id: "d", tags: []string{"main-2"}, created: daysAgo(7)},
		img{id: "e", tags: []string{"main-3"}},
		img{id: "f", tags: []string{"latest"}, created: daysAgo(30)},
		img{id: "g", tags: []string{"other"}, created: daysAgo(30)},
	)
	rp := Decide(now, r, l)
	want := map[string][]string{
		"v1.0.0": {"deleted by policy p: no keep rule keeps it (keep[0] (semver highest 1 of tags v*) ranks it below the highest)"},
		"v1.1.0": {"kept by policy p keep[0] (semver highest 1 of tags v*): version 1.1.0 is 1st highest"},
		"main-1": {"deleted by policy p: no keep rule keeps it (keep[1] (newest 1 of tags main-*): not among the 1 newest)"},
		"main-2": {"kept by policy p keep[1] (newest 1 of tags main-*): 1st newest (created 2026-11-20T12:00:00Z)"},
		"main-3": {"kept by policy p: creation time unknown, so keep[1] (newest 1 of tags main-*) cannot rank it (unknown is not old)"},
		"latest": {`protected by protect.tags "latest"`},
		"other":  {"deleted by policy p: no keep rule keeps it"},
	}
	got := map[string][]string{}
	for _, td := range rp.Tags {
		got[td.Tag] = td.Reasons
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reasons (-want +got):\n%s", diff)
	}
}

func TestDecideSharedDigest(t *testing.T) {
	t.Parallel()
	r := compile(t, Config{Policies: []Policy{policy(KeepRule{Tags: []string{"stable"}})}})
	l := listing(repo,
		img{id: "a", tags: []string{"1.0-nightly", "stable"}},
		img{id: "b", tags: []string{"old-1", "old-2"}},
	)
	rp := Decide(now, r, l)
	want := []string{
		"tag " + dg("a")[7:15] + " 1.0-nightly",
		"image " + dg("b")[7:15] + " old-1,old-2",
	}
	if diff := cmp.Diff(want, deletionKinds(rp)); diff != "" {
		t.Errorf("deletions (-want +got):\n%s", diff)
	}
	if got := rp.Tags[0].Reasons; !strings.Contains(strings.Join(got, ";"), "digest shared with kept tag(s) stable") {
		t.Errorf("1.0-nightly reasons = %q, want the shared digest named", got)
	}
}

func TestDecideIndexChildren(t *testing.T) {
	t.Parallel()
	r := compile(t, Config{Policies: []Policy{policy(KeepRule{Tags: []string{"keep*"}})}})
	l := listing(repo,
		img{id: "old-index", tags: []string{"old"}, index: true, children: []string{"amd64-old", "shared-arm64", "nested"}},
		img{id: "nested", index: true, children: []string{"nested-child"}},
		img{id: "keep-index", tags: []string{"keep"}, index: true, children: []string{"amd64-new", "shared-arm64"}},
		img{id: "tagged-child", tags: []string{"child-tag"}},
		img{id: "index2", tags: []string{"old2"}, index: true, children: []string{"tagged-child"}},
	)
	// An untagged nested index is known to the listing but has no tags.
	rp := Decide(now, r, l)
	want := []string{
		"index " + dg("old-index")[7:15] + " old",
		"index " + dg("index2")[7:15] + " old2",
		"image " + dg("tagged-child")[7:15] + " child-tag",
		"child " + dg("amd64-old")[7:15] + " ",
		"child " + dg("nested")[7:15] + " ",
		"child " + dg("nested-child")[7:15] + " ",
	}
	if diff := cmp.Diff(want, deletionKinds(rp)); diff != "" {
		t.Errorf("deletions (-want +got):\n%s", diff)
	}
}

func TestDecideChildOfKeptIndexIsNotDeletedWithItsTag(t *testing.T) {
	t.Parallel()
	r := compile(t, Config{Policies: []Policy{policy(KeepRule{Tags: []string{"keep"}})}})
	l := listing(repo,
		img{id: "idx", tags: []string{"keep"}, index: true, children: []string{"child"}},
		img{id: "child", tags: []string{"child-tag"}},
	)
	rp := Decide(now, r, l)
	want := []string{"tag " + dg("child")[7:15] + " child-tag"}
	if diff := cmp.Diff(want, deletionKinds(rp)); diff != "" {
		t.Errorf("deletions (-want +got):\n%s", diff)
	}
}

func TestDecideAttachmentsFollowSubject(t *testing.T) {
	t.Parallel()
	hex := func(id string) string { return strings.TrimPrefix(dg(id), "sha256:") }
	r := compile(t, Config{Policies: []Policy{policy(KeepRule{Newest: 1})}})
	l := listing(repo,
		img{id: "new", tags: []string{"new"}, created: daysAgo(1)},
		img{id: "old", tags: []string{"old"}, created: daysAgo(9)},
		img{id: "sig-new", tags: []string{"sha256-" + hex("new") + ".sig"}, created: daysAgo(90)},
		img{id: "att-new", tags: []string{"sha256-" + hex("new") + ".att"}},
		img{id: "sig-old", tags: []string{"sha256-" + hex("old") + ".sig"}, created: daysAgo(1)},
		img{id: "ref-old", tags: []string{"sha256-" + hex("old")}, index: true, children: []string{"referrer-old"}},
		img{id: "sig-gone", tags: []string{"sha256-" + hex("gone") + ".sig"}},
		img{id: "sig-child", tags: []string{"sha256-" + hex("somechild") + ".sbom"}},
	)
	l.Missing[dg("gone")] = true
	rp := Decide(now, r, l)
	wantActions := map[string]Action{
		"new": Keep, "old": Delete,
		"sha256-" + hex("new") + ".sig": Keep, "sha256-" + hex("new") + ".att": Keep,
		"sha256-" + hex("old") + ".sig": Delete, "sha256-" + hex("old"): Delete,
		"sha256-" + hex("gone") + ".sig": Delete, "sha256-" + hex("somechild") + ".sbom": Keep,
	}
	if diff := cmp.Diff(wantActions, actions(rp)); diff != "" {
		t.Errorf("actions (-want +got):\n%s%s", diff, reasons(rp))
	}
	var kinds []string
	for _, d := range rp.Deletions {
		kinds = append(kinds, string(d.Kind))
	}
	if diff := cmp.Diff([]string{"image", "referrer", "referrer", "referrer", "referrer"}, kinds); diff != "" {
		t.Errorf("deletion kinds (-want +got):\n%s", diff)
	}
}

func TestDecideAttachmentProtected(t *testing.T) {
	t.Parallel()
	hex := strings.TrimPrefix(dg("old"), "sha256:")
	r := compile(t, Config{Protect: Protect{Tags: []string{"*.sig"}}, Policies: []Policy{policy(KeepRule{Tags: []string{"x"}})}})
	l := listing(repo, img{id: "old", tags: []string{"old"}}, img{id: "sig", tags: []string{"sha256-" + hex + ".sig"}})
	rp := Decide(now, r, l)
	if got := actions(rp)["sha256-"+hex+".sig"]; got != Keep {
		t.Errorf("protected signature action = %s, want keep", got)
	}
}

func TestNeedsTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		want bool
	}{
		{"semver only", Config{Policies: []Policy{policy(KeepRule{Semver: &SemverRule{Highest: 1}})}}, false},
		{"selector only", Config{Policies: []Policy{policy(KeepRule{Tags: []string{"x"}})}}, false},
		{"newest", Config{Policies: []Policy{policy(KeepRule{Newest: 1})}}, true},
		{"youngerThan", Config{Policies: []Policy{policy(KeepRule{YoungerThan: Duration(time.Hour)})}}, true},
		{"minAge", Config{MinAge: Duration(time.Hour), Policies: []Policy{policy(KeepRule{Tags: []string{"x"}})}}, true},
	}
	for _, tc := range tests {
		if got := compile(t, tc.cfg).NeedsTime(repo); got != tc.want {
			t.Errorf("%s: NeedsTime = %v, want %v", tc.name, got, tc.want)
		}
	}
	if compile(t, Config{MinAge: Duration(time.Hour), Policies: []Policy{policy(KeepRule{Newest: 1})}}).NeedsTime("localhost:5000/ungoverned") {
		t.Error("an ungoverned repository needs no time")
	}
}

// TestDecideDigestSharedWithAttachment: an ordinary tag that is deleted
// but shares its digest with a signature tag goes alone while the
// signature is kept (deleting the digest would strip the signature from
// its kept subject), and goes with the manifest when the signature goes.
func TestDecideDigestSharedWithAttachment(t *testing.T) {
	t.Parallel()
	hex := func(id string) string { return strings.TrimPrefix(dg(id), "sha256:") }
	r := compile(t, Config{Policies: []Policy{policy(KeepRule{Tags: []string{"keep"}})}})
	l := listing(repo,
		img{id: "subject", tags: []string{"keep"}},
		img{id: "sig", tags: []string{"sha256-" + hex("subject") + ".sig", "copy-of-sig"}},
		img{id: "gone-sig", tags: []string{"sha256-" + hex("gone") + ".sig", "copy-of-gone-sig"}},
	)
	l.Missing[dg("gone")] = true
	rp := Decide(now, r, l)
	wantActions := map[string]Action{
		"keep": Keep, "copy-of-sig": Delete, "copy-of-gone-sig": Delete,
		"sha256-" + hex("subject") + ".sig": Keep, "sha256-" + hex("gone") + ".sig": Delete,
	}
	if diff := cmp.Diff(wantActions, actions(rp)); diff != "" {
		t.Errorf("actions (-want +got):\n%s%s", diff, reasons(rp))
	}
	want := []string{
		"tag " + dg("sig")[7:15] + " copy-of-sig",
		"referrer " + dg("gone-sig")[7:15] + " copy-of-gone-sig,sha256-" + hex("gone") + ".sig",
	}
	if diff := cmp.Diff(want, deletionKinds(rp)); diff != "" {
		t.Errorf("deletions (-want +got):\n%s%s", diff, reasons(rp))
	}
}

// TestDecideTaggedReferrerOfKeptSubject: a manifest whose OCI subject is
// kept (an SBOM or signature pushed with an ordinary tag) is not deleted
// by digest when the policy deletes its tag: the tag goes alone, and the
// kept image keeps its referrer. A referrer of a deleted image goes.
func TestDecideTaggedReferrerOfKeptSubject(t *testing.T) {
	t.Parallel()
	r := compile(t, Config{Policies: []Policy{policy(KeepRule{Tags: []string{"keep"}})}})
	l := listing(repo,
		img{id: "kept", tags: []string{"keep"}},
		img{id: "old", tags: []string{"old"}},
		img{id: "sbom", tags: []string{"sbom-of-keep"}},
		img{id: "sig-of-sbom", tags: []string{"sig-of-sbom"}},
		img{id: "sbom-old", tags: []string{"sbom-of-old"}},
	)
	for id, subject := range map[string]string{"sbom": "kept", "sig-of-sbom": "sbom", "sbom-old": "old"} {
		m := l.Manifests[dg(id)]
		m.Subject = dg(subject)
		l.Manifests[dg(id)] = m
	}
	rp := Decide(now, r, l)
	want := []string{
		"tag " + dg("sbom")[7:15] + " sbom-of-keep",
		"tag " + dg("sig-of-sbom")[7:15] + " sig-of-sbom",
		"image " + dg("old")[7:15] + " old",
		"referrer " + dg("sbom-old")[7:15] + " sbom-of-old", // after old, and only if old went
	}
	if diff := cmp.Diff(want, deletionKinds(rp)); diff != "" {
		t.Errorf("deletions (-want +got):\n%s%s", diff, reasons(rp))
	}
}

func TestAgo(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		t    time.Time
		want string
	}{
		{now.Add(-72 * time.Hour), "3d ago"},
		{now.Add(-5 * time.Hour), "5h ago"},
		{now.Add(-90 * time.Second), "1m ago"},
		{now, "0s ago"},
		{now.Add(12 * time.Hour), "in the future (12h from now)"},
		{now.Add(30 * time.Second), "in the future (30s from now)"},
	}
	for _, tc := range tests {
		if got := Ago(now, tc.t); got != tc.want {
			t.Errorf("Ago(%s) = %q, want %q", tc.t.Sub(now), got, tc.want)
		}
	}
}

func TestCanonicalHost(t *testing.T) {
	tests := map[string]string{
		"localhost:5000":          "localhost:5000",
		"127.0.0.1:5000":          "localhost:5000",
		"[::1]:5000":              "localhost:5000",
		"LocalHost:5000":          "localhost:5000",
		"127.0.0.2:5000":          "127.0.0.2:5000",
		"registry:443":            "registry",
		"Registry.Example.com":    "registry.example.com",
		"registry:5000":           "registry:5000",
		"index.docker.io":         "docker.io",
		"registry-1.docker.io":    "docker.io",
		"docker.io:443":           "docker.io",
		"ghcr.io":                 "ghcr.io",
		"registry.example.com:80": "registry.example.com:80",
	}
	for in, want := range tests {
		if got := CanonicalHost(in); got != want {
			t.Errorf("CanonicalHost(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestGovernsAcrossSpellings: a policy governs its repository under every
// spelling of the registry's host, and so does its exclude.
func TestGovernsAcrossSpellings(t *testing.T) {
	c := Config{Policies: []Policy{
		{Name: "a", Repositories: []string{"localhost:5000/team/*"}, Exclude: []string{"registry.corp:443/team/skip"}, Keep: []KeepRule{{Newest: 1}}},
	}}
	r, err := c.Compile()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{
		"127.0.0.1:5000/team/app": true,
		"[::1]:5000/team/app":     true,
		"localhost:5001/team/app": false,
		"127.0.0.1:5000/other/x":  false,
	} {
		if got := r.Policies[0].Governs(name); got != want {
			t.Errorf("Governs(%q) = %v, want %v", name, got, want)
		}
	}
	c.Policies[0].Repositories = []string{"registry.corp/team/*"}
	if r, err = c.Compile(); err != nil {
		t.Fatal(err)
	}
	if r.Policies[0].Governs("registry.corp/team/skip") {
		t.Error("exclude registry.corp:443/team/skip does not apply to registry.corp/team/skip")
	}
	if !r.Policies[0].Governs("REGISTRY.corp:443/team/app") {
		t.Error("registry.corp/team/* does not govern REGISTRY.corp:443/team/app")
	}
}

// TestDecideAttachmentSelectedByKeepRule: a keep rule that selects a tag
// by name keeps it, also an attachment tag whose subject is gone; a
// ranking rule does not pin attachments.
func TestDecideAttachmentSelectedByKeepRule(t *testing.T) {
	t.Parallel()
	hex := strings.TrimPrefix(dg("gone"), "sha256:")
	sig := "sha256-" + hex + ".sig"
	for _, tc := range []struct {
		name string
		keep []KeepRule
		want Action
	}{
		{"keep everything", []KeepRule{{Tags: []string{"*"}}}, Keep},
		{"keep signatures by name", []KeepRule{{Tags: []string{"v*"}, Newest: 1}, {Tags: []string{"*.sig"}}}, Keep},
		{"ranking only", []KeepRule{{Newest: 5}}, Delete},
		{"another selection", []KeepRule{{Tags: []string{"v*"}}}, Delete},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := compile(t, Config{Policies: []Policy{policy(tc.keep...)}})
			l := listing(repo, img{id: "sig", tags: []string{sig}})
			l.Missing[dg("gone")] = true
			rp := Decide(now, r, l)
			if got := actions(rp)[sig]; got != tc.want {
				t.Errorf("%s: %s, want %s%s", sig, got, tc.want, reasons(rp))
			}
		})
	}
}

// TestDecideAttachmentUnplaced: an attachment whose subject may live in
// another repository is kept, with the listing's reason.
func TestDecideAttachmentUnplaced(t *testing.T) {
	t.Parallel()
	hex := strings.TrimPrefix(dg("elsewhere"), "sha256:")
	sig := "sha256-" + hex + ".sig"
	r := compile(t, Config{Policies: []Policy{policy(KeepRule{Newest: 1})}})
	l := listing(repo, img{id: "sig", tags: []string{sig}})
	l.Unplaced = map[string]string{dg("elsewhere"): "stored apart"}
	rp := Decide(now, r, l)
	if got := actions(rp)[sig]; got != Keep || len(rp.Deletions) != 0 || !strings.Contains(reasons(rp), "stored apart") {
		t.Errorf("%s: %s with %d deletions, want kept with the listing's reason%s", sig, got, len(rp.Deletions), reasons(rp))
	}
}

// TestDecideNamesThePushedClock: a tag the policies that govern it rank
// by push time says so, for the report's age; a tag any created-clock
// policy governs, or none governs, does not.
func TestDecideNamesThePushedClock(t *testing.T) {
	t.Parallel()
	ci := policy(KeepRule{Newest: 1})
	ci.Name, ci.Tags, ci.Clock = "ci", []string{"main-*", "pr-*"}, ClockPushed
	rel := policy(KeepRule{Newest: 1})
	rel.Name, rel.Tags = "releases", []string{"v*", "pr-*"}
	imgs := []img{
		{id: "a", tags: []string{"main-1"}, created: daysAgo(3)},
		{id: "b", tags: []string{"v1"}, created: daysAgo(3)},
		{id: "c", tags: []string{"pr-1"}, created: daysAgo(3)},
		{id: "d", tags: []string{"other"}, created: daysAgo(3)},
	}
	pushed := map[string]time.Time{"a": daysAgo(1), "b": daysAgo(1), "c": daysAgo(1), "d": daysAgo(1)}
	rp := Decide(now, compile(t, Config{Policies: []Policy{ci, rel}}), ghcrListing(imgs, nil, pushed))
	got := map[string]string{}
	for _, td := range rp.Tags {
		got[td.Tag] = td.Clock
	}
	want := map[string]string{"main-1": ClockPushed, "v1": "", "pr-1": "", "other": ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("clocks (-want +got):\n%s", diff)
	}
}
