package retention

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUnmatched(t *testing.T) {
	t.Parallel()
	const (
		web    = "localhost:5000/acme/web"
		api    = "localhost:5000/acme/api"
		legacy = "localhost:5000/acme/legacy"
	)
	planned := func(repo string, policies []string, tags ...string) RepoPlan {
		rp := RepoPlan{Repository: repo, Policies: policies}
		for _, tg := range tags {
			rp.Tags = append(rp.Tags, TagDecision{Tag: tg})
		}
		return rp
	}
	failed := func(repo string, policies ...string) RepoPlan {
		return RepoPlan{Repository: repo, Policies: policies, Error: "listing failed"}
	}
	// Keys and policies of the warnings, the part the table compares.
	type got struct{ Key, Shard string }
	tests := []struct {
		name   string
		policy Policy
		repos  []string
		plans  []RepoPlan
		shard  string
		want   []got
	}{
		{
			name:   "a glob with a typo matches nothing",
			policy: Policy{Name: "p", Repositories: []string{"localhost:5000/newusr/*"}, Keep: []KeepRule{{Newest: 1}}},
			repos:  []string{web, api},
			plans:  []RepoPlan{planned(web, nil, "v1")},
			want:   []got{{Key: "policies[0].repositories"}},
		},
		{
			name:   "every match excluded",
			policy: Policy{Name: "p", Repositories: []string{"localhost:5000/acme/*"}, Exclude: []string{"localhost:5000/acme/**"}, Keep: []KeepRule{{Newest: 1}}},
			repos:  []string{web},
			want:   []got{{Key: "policies[0].repositories"}},
		},
		{
			name:   "matched in another shard: the repositories are judged on the whole run",
			policy: Policy{Name: "p", Repositories: []string{"localhost:5000/acme/*"}, Tags: []string{"nope-*"}, Keep: []KeepRule{{Newest: 1}}},
			repos:  []string{web, api},
			shard:  "1/2",
		},
		{
			name:   "the policy's tags match no tag",
			policy: Policy{Name: "p", Repositories: []string{"localhost:5000/acme/*"}, Tags: []string{"relase-*"}, Keep: []KeepRule{{Newest: 1}, {Tags: []string{"also-nothing"}}}},
			repos:  []string{web, api},
			plans:  []RepoPlan{planned(web, []string{"p"}, "v1", "release-1"), planned(api, []string{"p"}, "main")},
			want:   []got{{Key: "policies[0].tags"}},
		},
		{
			name:   "the policy's tags match a tag in one repository of several",
			policy: Policy{Name: "p", Repositories: []string{"localhost:5000/acme/*"}, Tags: []string{"release-*"}, Keep: []KeepRule{{Newest: 1}}},
			repos:  []string{web, api},
			plans:  []RepoPlan{planned(web, []string{"p"}, "v1"), planned(api, []string{"p"}, "release-1")},
		},
		{
			name:   "a keep rule's tags match no governed tag",
			policy: Policy{Name: "p", Repositories: []string{web}, Tags: []string{"v*", "stabel"}, Keep: []KeepRule{{Tags: []string{"v*"}, Semver: &SemverRule{Highest: 2}}, {Tags: []string{"stable"}}, {Tags: []string{"/^stab/"}}}},
			repos:  []string{web},
			plans:  []RepoPlan{planned(web, []string{"p"}, "v1.0.0", "stable")},
			want:   []got{{Key: "policies[0].keep[1].tags"}, {Key: "policies[0].keep[2].tags"}},
		},
		{
			name:   "judged per shard and said so",
			policy: Policy{Name: "p", Repositories: []string{"localhost:5000/acme/*"}, Keep: []KeepRule{{Tags: []string{"stable"}}}},
			repos:  []string{web, api},
			plans:  []RepoPlan{planned(web, []string{"p"}, "v1")},
			shard:  "0/2",
			want:   []got{{Key: "policies[0].keep[0].tags", Shard: "0/2"}},
		},
		{
			name:   "a repository that failed to list says nothing of its tags",
			policy: Policy{Name: "p", Repositories: []string{web}, Keep: []KeepRule{{Tags: []string{"stable"}}}},
			repos:  []string{web},
			plans:  []RepoPlan{failed(web, "p")},
		},
		{
			name:   "a catalog that failed is not a typo",
			policy: Policy{Name: "p", Repositories: []string{"localhost:5000/acme/*"}, Keep: []KeepRule{{Newest: 1}}},
			plans:  []RepoPlan{failed("localhost:5000/acme/*", "p")},
		},
		{
			name:   "repositories without tags: no selector is judged",
			policy: Policy{Name: "p", Repositories: []string{web}, Tags: []string{"x"}, Keep: []KeepRule{{Tags: []string{"y"}}}},
			repos:  []string{web},
			plans:  []RepoPlan{planned(web, []string{"p"})},
		},
		{
			name:   "another spelling of the host",
			policy: Policy{Name: "p", Repositories: []string{"127.0.0.1:5000/acme/web"}, Keep: []KeepRule{{Newest: 1}}},
			repos:  []string{web},
			plans:  []RepoPlan{planned(web, []string{"p"}, "v1")},
		},
		{
			name:   "an untagged rule alone is judged on its repositories only",
			policy: Policy{Name: "p", Repositories: []string{"localhost:5000/acme/*"}, Tags: []string{"x"}, Untagged: &UntaggedRule{}},
			repos:  []string{web},
			plans:  []RepoPlan{planned(web, []string{"p"}, "v1")},
		},
		{
			name:   "another policy's repositories do not count",
			policy: Policy{Name: "p", Repositories: []string{legacy}, Keep: []KeepRule{{Newest: 1}}},
			repos:  []string{web},
			plans:  []RepoPlan{planned(web, []string{"q"}, "v1")},
			want:   []got{{Key: "policies[0].repositories"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := compile(t, Config{Policies: []Policy{tc.policy}})
			ws := Unmatched(r, tc.repos, tc.plans, tc.shard)
			var keys []got
			for _, w := range ws {
				keys = append(keys, got{Key: w.Key, Shard: w.Shard})
				if w.Kind != WarnUnmatched || w.Policy != "p" || w.Message == "" {
					t.Errorf("warning %+v: want kind %s, policy p and a message", w, WarnUnmatched)
				}
			}
			if diff := cmp.Diff(tc.want, keys); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUnmatchedMessages: a warning names the policy, its key and the
// patterns as written, and says a shard judged it.
func TestUnmatchedMessages(t *testing.T) {
	t.Parallel()
	r := compile(t, Config{Policies: []Policy{
		{Name: "web", Repositories: []string{"localhost:5000/newusr/*"}, Keep: []KeepRule{{Newest: 1}}},
		{Name: "api", Repositories: []string{"localhost:5000/acme/api"}, Keep: []KeepRule{{Tags: []string{"stabel"}}}},
	}})
	ws := Unmatched(r, []string{"localhost:5000/acme/api"}, []RepoPlan{{Repository: "localhost:5000/acme/api", Policies: []string{"api"}, Tags: []TagDecision{{Tag: "stable"}}}}, "2/3")
	want := []string{
		"policy web: policies[0].repositories (localhost:5000/newusr/*) match no repository, so the policy does nothing",
		"policy api: policies[1].keep[0].tags (stabel) match none of the tags the policy governs (in shard 2/3: each shard judges its own repositories), so the rule keeps nothing",
	}
	var got []string
	for _, w := range ws {
		got = append(got, w.Message)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
}
