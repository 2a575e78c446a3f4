package retention

import (
	"fmt"
	"slices"
	"strings"

	"github.com/regprune/regprune/retention/pattern"
)

// WarnUnmatched is the kind of warning Unmatched gives, and the value of
// failOn that turns it into a failed run.
const WarnUnmatched = "unmatched"

// Warning is something a run did not fail on but would otherwise do
// silently: a policy that reached nothing. It is in every output (the
// log, the JSON report's warnings, the text and markdown summaries, an
// annotation in the GitHub Action); failOn turns its kind into exit 1.
type Warning struct {
	// Kind is what failOn names: unmatched.
	Kind string `json:"kind"`
	// Policy names the policy, and Key the configuration key
	// (policies[0].repositories, policies[0].keep[1].tags) at fault.
	Policy string `json:"policy,omitempty"`
	Key    string `json:"key,omitempty"`
	// Shard is set (I/N) when the warning was judged on one shard's
	// repositories only: another shard may hold what this one lacks.
	Shard   string `json:"shard,omitempty"`
	Message string `json:"message"`
}

// Unmatched finds the policies that reach nothing, a typo in a glob or a
// selector being the usual cause:
//
//   - a policy none of whose repositories (patterns, less excludes)
//     matches any of repos, the names the policies' patterns expanded to
//     in the whole run (every shard), nor any entry of plans;
//   - a policy's tags, or a keep rule's tags, that select no tag in any
//     repository of plans the policy governs, when those repositories
//     hold tags at all.
//
// plans are the repositories this run listed (one shard's, under
// sharding: then shard is I/N and the tag warnings say they were judged
// on this shard); those that failed to list are left out of the tag
// judgement, and a policy named by a failed entry (a catalog that could
// not be listed) is never said to match nothing. Policies that govern
// no tags (an untagged rule alone) are judged on their repositories
// only. The warnings come in configuration order.
func Unmatched(rules *Rules, repos []string, plans []RepoPlan, shard string) []Warning {
	var out []Warning
	for i, p := range rules.Policies {
		key := fmt.Sprintf("policies[%d]", i)
		reached := false
		for _, r := range repos {
			if p.Governs(r) {
				reached = true
				break
			}
		}
		var tags []string
		listed := false
		for _, rp := range plans {
			if !slices.Contains(rp.Policies, p.Name) {
				continue
			}
			reached = true
			if rp.Error != "" {
				continue
			}
			listed = true
			for _, td := range rp.Tags {
				tags = append(tags, td.Tag)
			}
		}
		if !reached {
			out = append(out, Warning{Kind: WarnUnmatched, Policy: p.Name, Key: key + ".repositories",
				Message: fmt.Sprintf("policy %s: %s.repositories (%s) match no repository, so the policy does nothing", p.Name, key, patternList(p.Repositories))})
			continue
		}
		if !listed || len(tags) == 0 || len(p.keep) == 0 {
			continue
		}
		where := ""
		if shard != "" {
			where = " (in shard " + shard + ": each shard judges its own repositories)"
		}
		governed := tags
		if len(p.Tags) > 0 {
			governed = selected(p.Tags, tags)
			if len(governed) == 0 {
				out = append(out, Warning{Kind: WarnUnmatched, Policy: p.Name, Key: key + ".tags", Shard: shard,
					Message: fmt.Sprintf("policy %s: %s.tags (%s) match no tag in the policy's repositories%s, so the policy decides nothing", p.Name, key, patternList(p.Tags), where)})
				continue
			}
		}
		for j, k := range p.keep {
			if len(k.Tags) == 0 || len(selected(k.Tags, governed)) > 0 {
				continue
			}
			rk := fmt.Sprintf("%s.keep[%d]", key, j)
			out = append(out, Warning{Kind: WarnUnmatched, Policy: p.Name, Key: rk + ".tags", Shard: shard,
				Message: fmt.Sprintf("policy %s: %s.tags (%s) match none of the tags the policy governs%s, so the rule keeps nothing", p.Name, rk, patternList(k.Tags), where)})
		}
	}
	return out
}

// selected returns the tags that any of ps matches.
func selected(ps pattern.List, tags []string) []string {
	var out []string
	for _, t := range tags {
		if _, ok := ps.Match(t); ok {
			out = append(out, t)
		}
	}
	return out
}

func patternList(ps pattern.List) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

// CheckFailOn checks a kind of warning that failOn may name.
func CheckFailOn(kind string) error {
	if kind != WarnUnmatched {
		return fmt.Errorf("%q is not a kind of warning (want %s)", kind, WarnUnmatched)
	}
	return nil
}
