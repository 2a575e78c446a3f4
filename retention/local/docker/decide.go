package docker

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/regprune/regprune/retention"
)

// decideRepository evaluates the policies that govern repo (a repository
// as the engine shows it) on its tags. Each image's time is the clock of
// the policy: when the policies that govern repo use different clocks,
// each clock's policies are evaluated on their own listing and a tag is
// deleted only when every clock that governs it deletes it, just as a tag
// is deleted only when every policy that governs it deletes it. The
// returned plan has no deletions: they are planned for the whole engine,
// because one image can carry tags of several repositories.
func decideRepository(now time.Time, rules *retention.Rules, repo string, tags []retention.Tag, inv *inventory) retention.RepoPlan {
	names := append([]string{repo}, aliases(repo)...)
	policies := rules.PoliciesFor(names...)
	byClock := map[string][]*retention.CompiledPolicy{}
	var clocks []string
	for _, p := range policies {
		c := p.Clock
		if c == "" {
			c = clockArrived
		}
		if _, ok := byClock[c]; !ok {
			clocks = append(clocks, c)
		}
		byClock[c] = append(byClock[c], p)
	}
	if len(clocks) == 0 {
		clocks = []string{clockArrived}
	}
	sort.Strings(clocks)

	plans := make([]retention.RepoPlan, 0, len(clocks))
	for _, c := range clocks {
		sub := &retention.Rules{MinAge: rules.MinAge, Protect: rules.Protect, Policies: byClock[c]}
		l := retention.Listing{Repository: repo, Aliases: aliases(repo), Tags: tags, Manifests: map[string]retention.Manifest{}, Clock: c}
		labels := map[string]string{}
		for _, t := range tags {
			img := inv.byID[t.Digest]
			at, label := clockTime(img, c, now)
			labels[t.Digest] = label
			l.Manifests[t.Digest] = retention.Manifest{Digest: t.Digest, Created: at, CreatedSource: label}
		}
		rp := retention.Decide(now, sub, l)
		for i := range rp.Tags {
			rp.Tags[i].Clock = labels[rp.Tags[i].Digest]
		}
		plans = append(plans, rp)
	}
	out := plans[0]
	if len(plans) > 1 {
		out = mergeClocks(plans, clocks, byClock, tags)
	}
	out.Policies = []string{}
	for _, p := range policies {
		out.Policies = append(out.Policies, p.Name)
	}
	out.Deletions = []retention.Deletion{}
	return out
}

// mergeClocks combines the decisions of each clock's policies: a tag
// stays if a clock that governs it keeps it.
func mergeClocks(plans []retention.RepoPlan, clocks []string, byClock map[string][]*retention.CompiledPolicy, tags []retention.Tag) retention.RepoPlan {
	out := plans[0]
	out.Tags = make([]retention.TagDecision, len(tags))
	for i, t := range tags {
		var keep, del []int
		for g, c := range clocks {
			if !governsTag(byClock[c], t.Name) {
				continue
			}
			if plans[g].Tags[i].Action == retention.Keep {
				keep = append(keep, g)
			} else {
				del = append(del, g)
			}
		}
		from := keep
		if len(keep) == 0 {
			from = del
		}
		if len(from) == 0 {
			out.Tags[i] = plans[0].Tags[i]
			continue
		}
		td := plans[from[0]].Tags[i]
		td.Reasons = nil
		var labels []string
		for _, g := range from {
			td.Reasons = append(td.Reasons, plans[g].Tags[i].Reasons...)
			if l := plans[g].Tags[i].Clock; !slices.Contains(labels, l) {
				labels = append(labels, l)
			}
		}
		td.Clock = strings.Join(labels, ", ")
		out.Tags[i] = td
	}
	return out
}

// governsTag reports whether one of the policies selects the tag.
func governsTag(ps []*retention.CompiledPolicy, tag string) bool {
	for _, p := range ps {
		if len(p.Tags) == 0 {
			return true
		}
		if _, ok := p.Tags.Match(tag); ok {
			return true
		}
	}
	return false
}
