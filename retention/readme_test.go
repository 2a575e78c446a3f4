package retention

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestREADMEPolicyExample keeps the README's policy example true: the
// tags it says are kept are kept, and the reasons it quotes are the ones
// Decide gives.
func TestREADMEPolicyExample(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)Example: with .*?\n```\n(.*?)```").FindStringSubmatch(string(b))
	if m == nil {
		t.Fatal("the README's policy example is missing")
	}
	quoted := strings.Split(strings.TrimSpace(m[1]), "\n")
	r := compile(t, Config{Policies: []Policy{{Name: "api", Repositories: []string{repo}, Keep: []KeepRule{
		{Tags: []string{"v*"}, Semver: &SemverRule{Highest: 2}},
		{Tags: []string{"main-*"}, Newest: 1},
	}}}})
	l := listing(repo,
		img{id: "a", tags: []string{"v1.0.0"}, created: daysAgo(40)},
		img{id: "b", tags: []string{"v1.1.0"}, created: daysAgo(30)},
		img{id: "c", tags: []string{"v1.2.0"}, created: daysAgo(20)},
		img{id: "d", tags: []string{"v1.3.0-rc.1"}, created: daysAgo(10)},
		img{id: "e", tags: []string{"main-1"}, created: daysAgo(6)},
		img{id: "f", tags: []string{"main-2"}, created: daysAgo(4)},
		img{id: "g", tags: []string{"main-3"}, created: daysAgo(2)},
	)
	rp := Decide(now, r, l)
	want := map[string]Action{"v1.0.0": Delete, "v1.1.0": Keep, "v1.2.0": Keep, "v1.3.0-rc.1": Delete, "main-1": Delete, "main-2": Delete, "main-3": Keep}
	if diff := cmp.Diff(want, actions(rp)); diff != "" {
		t.Errorf("the README's example keeps other tags (-want +got):\n%s", diff)
	}
	given := map[string]bool{}
	for _, td := range rp.Tags {
		for _, why := range td.Reasons {
			given[why] = true
		}
	}
	for _, q := range quoted {
		if !given[q] {
			t.Errorf("the README quotes a reason Decide does not give: %q\n%s", q, reasons(rp))
		}
	}
}
