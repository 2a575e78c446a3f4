package retention

import (
	"fmt"
	"strings"
	"time"
)

// verdict collects what one policy's keep rules say of one tag.
type verdict struct {
	kept, unknownTime, notes []string
}

// applyRule records what one keep rule says of the tags it selects.
func applyRule(now time.Time, word, policy string, rule compiledRule, sel []candidate, of func(candidate) *verdict) {
	prefix := fmt.Sprintf("kept by policy %s %s: ", policy, rule.Label)
	switch {
	case rule.Semver != nil:
		ranks, versions := rankSemver(sel, rule.Semver)
		for _, c := range sel {
			v := of(c)
			if why, ok := ranks[c.idx]; ok {
				v.kept = append(v.kept, prefix+why)
			} else if versions[c.idx] {
				v.notes = append(v.notes, rule.Label+" ranks it below the highest")
			}
		}
	case rule.Newest > 0:
		ranks := rankNewest(sel, rule.Newest, word)
		notKept := fmt.Sprintf("%s: not among the %d newest", rule.Label, rule.Newest)
		for _, c := range sel {
			v := of(c)
			if why, ok := ranks[c.idx]; ok {
				v.kept = append(v.kept, prefix+why)
			} else if c.created.IsZero() {
				v.unknownTime = append(v.unknownTime, rule.Label)
			} else {
				v.notes = append(v.notes, notKept)
			}
		}
	case rule.YoungerThan > 0:
		for _, c := range sel {
			v := of(c)
			switch {
			case c.created.IsZero():
				v.unknownTime = append(v.unknownTime, rule.Label)
			case now.Sub(c.created) < rule.YoungerThan:
				v.kept = append(v.kept, prefix+word+" "+Ago(now, c.created))
			default:
				v.notes = append(v.notes, rule.Label+": "+word+" "+Ago(now, c.created))
			}
		}
	case rule.PulledWithin > 0:
		for _, c := range sel {
			v := of(c)
			switch {
			case !c.pullsKnown:
				v.kept = append(v.kept, prefix+"the registry reports no pull times (unknown is not old)")
			case c.pulled.IsZero():
				v.notes = append(v.notes, rule.Label+": never pulled")
			case now.Sub(c.pulled) < rule.PulledWithin:
				v.kept = append(v.kept, prefix+"pulled "+Ago(now, c.pulled))
			default:
				v.notes = append(v.notes, rule.Label+": pulled "+Ago(now, c.pulled))
			}
		}
	default:
		for _, c := range sel {
			v := of(c)
			v.kept = append(v.kept, prefix+"selected")
		}
	}
}

// evaluatePolicy records, for every tag p governs, which of p's rules keep
// it, or why p would delete it.
func evaluatePolicy(now time.Time, word string, p *CompiledPolicy, tags []candidate, governed []bool, keptBy, deletedBy [][]string) {
	if len(p.keep) == 0 {
		return // an untagged rule alone: the policy governs no tags
	}
	if p.Clock == ClockPushed {
		tags, word = byPush(tags), ClockPushed
	}
	mine := tags
	if len(p.Tags) > 0 {
		mine = make([]candidate, 0, len(tags))
	}
	for _, c := range tags {
		if len(p.Tags) > 0 {
			if _, ok := p.Tags.Match(c.tag); !ok {
				continue
			}
		}
		governed[c.idx] = true
		if len(p.Tags) > 0 {
			mine = append(mine, c)
		}
	}
	if len(mine) == 0 {
		return
	}
	verdicts := make([]verdict, len(mine))
	// pos maps a tag's index to its place in mine.
	pos := make([]int32, len(governed))
	for i, c := range mine {
		pos[c.idx] = int32(i)
	}
	for _, rule := range p.keep {
		sel := mine
		if len(rule.Tags) > 0 {
			sel = nil
			for _, c := range mine {
				if _, ok := rule.Tags.Match(c.tag); ok {
					sel = append(sel, c)
				}
			}
		}
		if len(sel) > 0 {
			applyRule(now, word, p.Name, rule, sel, func(c candidate) *verdict { return &verdicts[pos[c.idx]] })
		}
	}
	deleted := fmt.Sprintf("deleted by policy %s: no keep rule keeps it", p.Name)
	for i, c := range mine {
		v := verdicts[i]
		switch {
		case len(v.kept) > 0:
			keptBy[c.idx] = append(keptBy[c.idx], v.kept...)
		case len(v.unknownTime) > 0:
			keptBy[c.idx] = append(keptBy[c.idx], "kept by policy "+p.Name+": "+timeName(word)+" unknown, so "+strings.Join(v.unknownTime, ", ")+" cannot rank it (unknown is not old)")
		case len(v.notes) > 0:
			deletedBy[c.idx] = append(deletedBy[c.idx], deleted+" ("+strings.Join(v.notes, "; ")+")")
		default:
			deletedBy[c.idx] = append(deletedBy[c.idx], deleted)
		}
	}
}
