package retention

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// ghcrListing is a listing as a registry that lists untagged manifests
// gives it: every manifest with its push time.
func ghcrListing(imgs []img, subjects map[string]string, pushed map[string]time.Time, untagged ...string) Listing {
	l := listing(repo, imgs...)
	l.ListsUntagged = true
	for id, s := range subjects {
		m := l.Manifests[dg(id)]
		m.Subject = dg(s)
		l.Manifests[dg(id)] = m
	}
	for i, t := range l.Tags {
		for id, at := range pushed {
			if dg(id) == t.Digest {
				l.Tags[i].Pushed = at
			}
		}
	}
	for _, id := range untagged {
		l.Untagged = append(l.Untagged, Untagged{Digest: dg(id), Pushed: pushed[id]})
	}
	return l
}

func untaggedPolicy(older time.Duration, keep ...KeepRule) Policy {
	p := policy(keep...)
	p.Untagged = &UntaggedRule{OlderThan: Duration(older)}
	return p
}

func TestDecideUntagged(t *testing.T) {
	old, young := daysAgo(30), daysAgo(0.5)
	tcs := []struct {
		name     string
		cfg      Config
		imgs     []img
		subjects map[string]string
		pushed   map[string]time.Time
		untagged []string
		lists    bool
		want     []string // deletion kinds
		note     string   // a note that must be there
	}{{
		name:   "an old untagged manifest nothing references goes",
		cfg:    Config{Policies: []Policy{untaggedPolicy(7*24*time.Hour, KeepRule{Tags: []string{"*"}})}},
		imgs:   []img{{id: "a", tags: []string{"v1"}}, {id: "u"}},
		pushed: map[string]time.Time{"a": old, "u": old}, untagged: []string{"u"}, lists: true,
		want: []string{"untagged " + dg("u")[7:15] + " "},
	}, {
		name:   "a young one stays",
		cfg:    Config{Policies: []Policy{untaggedPolicy(7*24*time.Hour, KeepRule{Tags: []string{"*"}})}},
		imgs:   []img{{id: "a", tags: []string{"v1"}}, {id: "u"}},
		pushed: map[string]time.Time{"a": old, "u": young}, untagged: []string{"u"}, lists: true,
		note: "1 younger than",
	}, {
		name:   "unknown push time is not old",
		cfg:    Config{Policies: []Policy{untaggedPolicy(0, KeepRule{Tags: []string{"*"}})}},
		imgs:   []img{{id: "a", tags: []string{"v1"}}, {id: "u"}},
		pushed: map[string]time.Time{"a": old}, untagged: []string{"u"}, lists: true,
		note: "1 of unknown push time",
	}, {
		name:   "minAge holds an untagged manifest too",
		cfg:    Config{MinAge: Duration(48 * time.Hour), Policies: []Policy{untaggedPolicy(0, KeepRule{Tags: []string{"*"}})}},
		imgs:   []img{{id: "a", tags: []string{"v1"}}, {id: "u"}},
		pushed: map[string]time.Time{"a": old, "u": young}, untagged: []string{"u"}, lists: true,
		note: "1 younger than",
	}, {
		name:   "the child of a kept multi-arch index survives olderThan 0s",
		cfg:    Config{Policies: []Policy{untaggedPolicy(0, KeepRule{Tags: []string{"v1"}})}},
		imgs:   []img{{id: "i", tags: []string{"v1"}, index: true, children: []string{"c1", "c2"}}, {id: "c1"}, {id: "c2"}},
		pushed: map[string]time.Time{"i": old, "c1": old, "c2": old}, untagged: []string{"c1", "c2"}, lists: true,
		note: "2 referenced by what stays",
	}, {
		name:   "the children of a deleted index go with it, not as untagged",
		cfg:    Config{Policies: []Policy{untaggedPolicy(0, KeepRule{Tags: []string{"v2"}})}},
		imgs:   []img{{id: "i", tags: []string{"v1"}, index: true, children: []string{"c1"}}, {id: "j", tags: []string{"v2"}}, {id: "c1"}},
		pushed: map[string]time.Time{"i": old, "j": old, "c1": old}, untagged: []string{"c1"}, lists: true,
		want: []string{"index " + dg("i")[7:15] + " v1", "child " + dg("c1")[7:15] + " "},
	}, {
		name:     "a referrer of a kept image stays, whatever its age",
		cfg:      Config{Policies: []Policy{untaggedPolicy(0, KeepRule{Tags: []string{"v1"}})}},
		imgs:     []img{{id: "a", tags: []string{"v1"}}, {id: "sig"}},
		subjects: map[string]string{"sig": "a"},
		pushed:   map[string]time.Time{"a": old, "sig": old}, untagged: []string{"sig"}, lists: true,
		note: "1 referenced by what stays",
	}, {
		name:     "the untagged signature of a deleted image goes after it",
		cfg:      Config{Policies: []Policy{untaggedPolicy(30*24*time.Hour, KeepRule{Tags: []string{"v2"}})}},
		imgs:     []img{{id: "a", tags: []string{"v1"}}, {id: "b", tags: []string{"v2"}}, {id: "sig"}},
		subjects: map[string]string{"sig": "a"},
		pushed:   map[string]time.Time{"a": old, "b": old, "sig": young}, untagged: []string{"sig"}, lists: true,
		want: []string{"image " + dg("a")[7:15] + " v1", "referrer " + dg("sig")[7:15] + " "},
	}, {
		name:     "an untagged subject of a young referrer stays",
		cfg:      Config{Policies: []Policy{untaggedPolicy(7*24*time.Hour, KeepRule{Tags: []string{"*"}})}},
		imgs:     []img{{id: "a", tags: []string{"v1"}}, {id: "u"}, {id: "sig"}},
		subjects: map[string]string{"sig": "u"},
		pushed:   map[string]time.Time{"a": old, "u": old, "sig": young}, untagged: []string{"u", "sig"}, lists: true,
		note: "2 untagged manifest(s) stay: 1 younger than untagged.olderThan 7d or minAge, 0 of unknown push time, 1 referenced",
	}, {
		name:     "an old untagged subject and its old referrer both go, the referrer after",
		cfg:      Config{Policies: []Policy{untaggedPolicy(7*24*time.Hour, KeepRule{Tags: []string{"*"}})}},
		imgs:     []img{{id: "a", tags: []string{"v1"}}, {id: "u"}, {id: "sig"}},
		subjects: map[string]string{"sig": "u"},
		pushed:   map[string]time.Time{"a": old, "u": old, "sig": old}, untagged: []string{"sig", "u"}, lists: true,
		want: []string{"untagged " + dg("sig")[7:15] + " ", "untagged " + dg("u")[7:15] + " "},
	}, {
		name:   "a kept cosign tag keeps its untagged subject",
		cfg:    Config{Policies: []Policy{untaggedPolicy(0, KeepRule{Tags: []string{"*"}})}},
		imgs:   []img{{id: "a", tags: []string{"v1"}}, {id: "u"}, {id: "s", tags: []string{"sha256-" + dg("u")[7:] + ".sig"}}},
		pushed: map[string]time.Time{"a": old, "u": old, "s": old}, untagged: []string{"u"}, lists: true,
		note: "1 referenced by what stays",
	}, {
		name:   "an untagged index and the children only it listed go, children after",
		cfg:    Config{Policies: []Policy{untaggedPolicy(0, KeepRule{Tags: []string{"*"}})}},
		imgs:   []img{{id: "a", tags: []string{"v1"}}, {id: "ui", index: true, children: []string{"uc"}}, {id: "uc"}},
		pushed: map[string]time.Time{"a": old, "ui": old, "uc": old}, untagged: []string{"uc", "ui"}, lists: true,
		want: []string{"untagged " + dg("uc")[7:15] + " ", "untagged " + dg("ui")[7:15] + " "},
	}, {
		name:   "a registry that cannot list untagged manifests: a note, nothing deleted",
		cfg:    Config{Policies: []Policy{untaggedPolicy(0, KeepRule{Tags: []string{"*"}})}},
		imgs:   []img{{id: "a", tags: []string{"v1"}}},
		pushed: map[string]time.Time{"a": old},
		note:   "cannot list untagged manifests",
	}, {
		name:   "an untagged rule alone governs no tags",
		cfg:    Config{Policies: []Policy{{Name: "u", Repositories: []string{repo}, Untagged: &UntaggedRule{}}}},
		imgs:   []img{{id: "a", tags: []string{"v1"}}, {id: "u"}},
		pushed: map[string]time.Time{"a": old, "u": old}, untagged: []string{"u"}, lists: true,
		want: []string{"untagged " + dg("u")[7:15] + " "},
	}, {
		name: "the longest olderThan of the policies decides",
		cfg: Config{Policies: []Policy{untaggedPolicy(0, KeepRule{Tags: []string{"*"}}),
			{Name: "q", Repositories: []string{repo}, Untagged: &UntaggedRule{OlderThan: Duration(60 * 24 * time.Hour)}}}},
		imgs:   []img{{id: "a", tags: []string{"v1"}}, {id: "u"}},
		pushed: map[string]time.Time{"a": old, "u": old}, untagged: []string{"u"}, lists: true,
		note: "1 younger than untagged.olderThan 60d",
	}}
	for _, tc := range tcs {
		t.Run(tc.name, func(t *testing.T) {
			l := ghcrListing(tc.imgs, tc.subjects, tc.pushed, tc.untagged...)
			l.ListsUntagged = tc.lists
			rp := Decide(now, compile(t, tc.cfg), l)
			got := deletionKinds(rp)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("deletions (-want +got):\n%s\nnotes: %q", diff, rp.Notes)
			}
			if tc.note != "" && !strings.Contains(strings.Join(rp.Notes, "\n"), tc.note) {
				t.Errorf("notes %q lack %q", rp.Notes, tc.note)
			}
			for _, d := range rp.Deletions {
				if d.Kind == KindUntagged && (d.Pushed == nil || d.Reason == "") {
					t.Errorf("untagged deletion %+v lacks its push time or reason", d)
				}
			}
			for _, td := range rp.Tags {
				if td.Action == Delete && tc.cfg.Policies[0].Keep == nil {
					t.Errorf("a policy with no keep rules deleted tag %s", td.Tag)
				}
			}
		})
	}
}

func TestDecidePushedClock(t *testing.T) {
	p := policy(KeepRule{Newest: 1})
	p.Clock = ClockPushed
	imgs := []img{{id: "a", tags: []string{"old"}, created: daysAgo(1)}, {id: "b", tags: []string{"new"}, created: daysAgo(9)}}
	pushed := map[string]time.Time{"a": daysAgo(20), "b": daysAgo(10)}
	rp := Decide(now, compile(t, Config{Policies: []Policy{p}}), ghcrListing(imgs, nil, pushed))
	if diff := cmp.Diff(map[string]Action{"old": Delete, "new": Keep}, actions(rp)); diff != "" {
		t.Errorf("ranked by push time (-want +got):\n%s", diff)
	}
	if r := reasons(rp); !strings.Contains(r, "pushed") {
		t.Errorf("reasons do not name the push time:\n%s", r)
	}

	// minAge reads the later of creation and push: pushed yesterday is
	// young, whatever the build date says.
	c := Config{MinAge: Duration(48 * time.Hour), Policies: []Policy{policy(KeepRule{Tags: []string{"none"}})}}
	l := ghcrListing([]img{{id: "a", tags: []string{"rebuilt"}, created: time.Unix(0, 0)}}, nil, map[string]time.Time{"a": daysAgo(1)})
	rp = Decide(now, compile(t, c), l)
	if got := actions(rp)["rebuilt"]; got != Keep || !strings.Contains(reasons(rp), "pushed") {
		t.Errorf("a 1970 build pushed yesterday under minAge 2d: %s, %s", got, reasons(rp))
	}

	// Without push times, everything is unknown and kept.
	rp = Decide(now, compile(t, Config{Policies: []Policy{p}}), listing(repo, imgs...))
	if diff := cmp.Diff(map[string]Action{"old": Keep, "new": Keep}, actions(rp)); diff != "" {
		t.Errorf("no push times (-want +got):\n%s", diff)
	}
	if r := reasons(rp); !strings.Contains(r, "push time unknown") {
		t.Errorf("reasons do not say the push time is unknown:\n%s", r)
	}
}

func TestCompileUntaggedAndClock(t *testing.T) {
	tcs := []struct {
		name string
		p    Policy
		want string // "" for valid
	}{
		{"untagged alone", Policy{Repositories: []string{repo}, Untagged: &UntaggedRule{}}, ""},
		{"negative olderThan", Policy{Repositories: []string{repo}, Untagged: &UntaggedRule{OlderThan: -1}}, "policies[0].untagged.olderThan: must not be negative"},
		{"neither keep nor untagged", Policy{Repositories: []string{repo}}, "policies[0].keep: a policy needs at least one keep rule"},
		{"clock pushed", Policy{Repositories: []string{repo}, Clock: "pushed", Keep: []KeepRule{{Newest: 1}}}, ""},
		{"clock arrived on a registry", Policy{Repositories: []string{repo}, Clock: "arrived", Keep: []KeepRule{{Newest: 1}}}, `policies[0].clock: must be created or pushed (got "arrived")`},
	}
	for _, tc := range tcs {
		t.Run(tc.name, func(t *testing.T) {
			_, err := (&Config{Policies: []Policy{tc.p}}).Compile()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Compile: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Compile error %v, want %q", err, tc.want)
			}
		})
	}
	lc := Config{Local: &Local{Docker: &DockerCache{Policies: []Policy{{Repositories: []string{"app"}, Untagged: &UntaggedRule{}}}}}}
	if _, err := lc.Compile(); err == nil || !strings.Contains(err.Error(), "untagged") {
		t.Errorf("a local policy with an untagged rule compiled: %v", err)
	}
	r := compile(t, Config{MinAge: Duration(time.Hour), Policies: []Policy{{Repositories: []string{repo}, Clock: "pushed", Keep: []KeepRule{{Newest: 1}}}}})
	if r.NeedsTime(repo) {
		t.Error("a clock: pushed policy needs creation times")
	}
}

// TestDecidePlaceholder: a tag on a placeholder left by a failed run is
// deleted and never ranked, so it takes no real image's place; protect,
// minAge (by push time) and a policy that no longer governs it keep it.
func TestDecidePlaceholder(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	pushed := func(l Listing, ago map[string]time.Duration) Listing {
		for i := range l.Tags {
			l.Tags[i].Pushed = now.Add(-ago[l.Tags[i].Name])
		}
		return l
	}
	base := func() Listing {
		l := listing(repo, img{id: "a", tags: []string{"main-1"}}, img{id: "b", tags: []string{"main-2"}}, img{id: "p", tags: []string{"pr-9"}, index: true})
		m := l.Manifests[dg("p")]
		m.Placeholder = true
		l.Manifests[dg("p")] = m
		return pushed(l, map[string]time.Duration{"main-1": 72 * time.Hour, "main-2": 48 * time.Hour, "pr-9": time.Hour})
	}
	for _, tc := range []struct {
		name   string
		cfg    Config
		pr9    Action
		reason string
	}{
		{"deleted, not ranked", Config{Policies: []Policy{{Repositories: []string{repo}, Clock: ClockPushed, Keep: []KeepRule{{Newest: 2}}}}}, Delete, "placeholder left by an earlier run"},
		{"protected", Config{Protect: Protect{Tags: []string{"pr-*"}}, Policies: []Policy{{Repositories: []string{repo}, Clock: ClockPushed, Keep: []KeepRule{{Newest: 2}}}}}, Keep, "protected"},
		{"younger than minAge", Config{MinAge: Duration(2 * time.Hour), Policies: []Policy{{Repositories: []string{repo}, Clock: ClockPushed, Keep: []KeepRule{{Newest: 2}}}}}, Keep, "younger than minAge"},
		{"not governed", Config{Policies: []Policy{{Repositories: []string{repo}, Tags: []string{"main-*"}, Keep: []KeepRule{{Newest: 2}}}}}, Keep, "no policy governs"},
	} {
		rp := Decide(now, compile(t, tc.cfg), base())
		for _, td := range rp.Tags {
			switch td.Tag {
			case "pr-9":
				if td.Action != tc.pr9 || !strings.Contains(strings.Join(td.Reasons, " "), tc.reason) {
					t.Errorf("%s: pr-9 %s %q, want %s with %q", tc.name, td.Action, td.Reasons, tc.pr9, tc.reason)
				}
			default:
				if td.Action != Keep {
					t.Errorf("%s: %s %s %q: the placeholder took its place", tc.name, td.Tag, td.Action, td.Reasons)
				}
			}
		}
	}
}

// TestDecideFirstSeen: where the creation time is unknown (a 1970
// reproducible build), minAge reads when regprune first saw the digest,
// and the reason says so; ranking never does.
func TestDecideFirstSeen(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	l := listing(repo, img{id: "a", tags: []string{"v1.0.0"}}, img{id: "b", tags: []string{"v1.1.0"}}, img{id: "c", tags: []string{"v2.0.0"}})
	seen := func(id string, ago time.Duration) {
		m := l.Manifests[dg(id)]
		m.FirstSeen = now.Add(-ago)
		l.Manifests[dg(id)] = m
	}
	seen("a", 72*time.Hour)
	seen("b", time.Hour)
	cfg := Config{MinAge: Duration(24 * time.Hour), Policies: []Policy{{Repositories: []string{repo}, Keep: []KeepRule{{Semver: &SemverRule{Highest: 1}}}}}}
	rp := Decide(now, compile(t, cfg), l)
	want := map[string]struct {
		action Action
		reason string
	}{
		"v1.0.0": {Delete, "no keep rule keeps it"},
		"v1.1.0": {Keep, "first seen 1h ago, younger than minAge 1d"},
		"v2.0.0": {Keep, "semver"},
	}
	for _, td := range rp.Tags {
		w := want[td.Tag]
		if td.Action != w.action || !strings.Contains(strings.Join(td.Reasons, " "), w.reason) {
			t.Errorf("%s: %s %q, want %s with %q", td.Tag, td.Action, td.Reasons, w.action, w.reason)
		}
		if (td.FirstSeen != nil) != (td.Tag != "v2.0.0") {
			t.Errorf("%s: firstSeen %v", td.Tag, td.FirstSeen)
		}
	}
	// Without a first-seen time, an unknown creation time is never old.
	l2 := listing(repo, img{id: "a", tags: []string{"v1.0.0"}}, img{id: "c", tags: []string{"v2.0.0"}})
	for _, td := range Decide(now, compile(t, cfg), l2).Tags {
		if td.Tag == "v1.0.0" && (td.Action != Keep || !strings.Contains(strings.Join(td.Reasons, " "), "unknown")) {
			t.Errorf("v1.0.0 without first-seen: %s %q", td.Action, td.Reasons)
		}
	}
}

// TestDecidePulledWithin: pulledWithin keeps what was pulled lately,
// however old, and not what was never pulled, however young; where the
// registry reports no pull times it keeps everything it selects.
func TestDecidePulledWithin(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	base := func(reports bool) Listing {
		l := listing(repo,
			img{id: "a", tags: []string{"old-pulled"}, created: now.Add(-300 * 24 * time.Hour)},
			img{id: "b", tags: []string{"young-unpulled"}, created: now.Add(-time.Hour)},
			img{id: "c", tags: []string{"pulled-long-ago"}, created: now.Add(-200 * 24 * time.Hour)})
		for i := range l.Tags {
			switch l.Tags[i].Name {
			case "old-pulled":
				l.Tags[i].Pulled = now.Add(-2 * 24 * time.Hour)
			case "pulled-long-ago":
				l.Tags[i].Pulled = now.Add(-90 * 24 * time.Hour)
			}
		}
		l.ReportsPulls = reports
		return l
	}
	cfg := Config{Policies: []Policy{{Repositories: []string{repo}, Keep: []KeepRule{{PulledWithin: Duration(30 * 24 * time.Hour)}}}}}
	for _, tc := range []struct {
		reports bool
		want    map[string]Action
	}{
		{true, map[string]Action{"old-pulled": Keep, "young-unpulled": Delete, "pulled-long-ago": Delete}},
		{false, map[string]Action{"old-pulled": Keep, "young-unpulled": Keep, "pulled-long-ago": Keep}},
	} {
		for _, td := range Decide(now, compile(t, cfg), base(tc.reports)).Tags {
			if td.Action != tc.want[td.Tag] {
				t.Errorf("reports pulls %v: %s %s %q, want %s", tc.reports, td.Tag, td.Action, td.Reasons, tc.want[td.Tag])
			}
		}
	}
}
