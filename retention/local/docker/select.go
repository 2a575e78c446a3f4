package docker

import (
	"sort"
	"strings"
	"time"

	"github.com/regprune/regprune/retention"
)

// selection is what the rules decide for the whole engine.
type selection struct {
	repos []retention.RepoPlan
	notes []string
	// gone holds the IDs of the images the deletions remove.
	gone map[string]bool
}

// danglingRepo names the plan entry of dangling images.
const danglingRepo = "(dangling)"

// selectDeletions decides every tag, applies the local protections,
// follows remote deletions and plans the deletions. It is pure.
func selectDeletions(now time.Time, dr retention.DockerRules, remoteDeleted map[string][]string, inv *inventory) selection {
	rules := dr.Rules
	if rules == nil {
		rules = &retention.Rules{}
	}
	sel := selection{gone: map[string]bool{}}

	byRepo := map[string][]retention.Tag{}
	for _, img := range inv.images {
		for _, ref := range img.Tags {
			repo, tag := splitRef(ref)
			byRepo[repo] = append(byRepo[repo], retention.Tag{Name: tag, Digest: img.ID})
		}
	}
	follows, followNotes := followRemote(dr, remoteDeleted, inv)
	sel.notes = append(sel.notes, followNotes...)
	followRepos := map[string]bool{}
	for _, fs := range follows {
		for _, f := range fs {
			followRepos[f.repo] = true
		}
	}

	var names []string
	for repo := range byRepo {
		if followRepos[repo] || len(rules.PoliciesFor(append([]string{repo}, aliases(repo)...)...)) > 0 {
			names = append(names, repo)
		}
	}
	for repo := range followRepos {
		if _, ok := byRepo[repo]; !ok {
			names = append(names, repo) // digest references only
		}
	}
	sort.Strings(names)
	at := map[string]int{}
	for _, repo := range names {
		tags := byRepo[repo]
		sort.SliceStable(tags, func(i, j int) bool { return tags[i].Name < tags[j].Name })
		at[repo] = len(sel.repos)
		sel.repos = append(sel.repos, decideRepository(now, rules, repo, tags, inv))
	}

	// decisions maps "repo:tag" to its decision.
	decisions := map[string]*retention.TagDecision{}
	for i := range sel.repos {
		rp := &sel.repos[i]
		for j := range rp.Tags {
			td := &rp.Tags[j]
			decisions[rp.Repository+":"+td.Tag] = td
			protectLocal(td, inv.byID[td.Digest], dr, inv)
		}
	}
	for id, fs := range follows {
		img := inv.byID[id]
		for _, f := range fs {
			for _, ref := range img.Tags {
				if repo, _ := splitRef(ref); repo == f.repo {
					followTag(decisions[ref], f, rules, inv)
				}
			}
		}
	}
	planDeletions(&sel, inv, decisions, follows, at)
	if dr.Dangling > 0 {
		if rp, ok := planDangling(now, time.Duration(dr.Dangling), inv, sel.gone); ok {
			sel.repos = append(sel.repos, rp)
		}
	}
	return sel
}

// protectLocal overrides a deletion the engine's state forbids: an image
// a container uses keeps every tag, and an image that was never pushed
// or pulled (no RepoDigests) is protected unless localOnly is allow.
func protectLocal(td *retention.TagDecision, img *image, dr retention.DockerRules, inv *inventory) {
	if td.Action != retention.Delete {
		return
	}
	var why string
	switch {
	case img.Unreadable != "":
		why = "kept because the engine could not describe it: " + img.Unreadable
	case len(inv.users[img.ID]) > 0:
		why = "in use by container " + strings.Join(inv.users[img.ID], ", ") + ": an image a container uses keeps all its tags"
	case len(img.Digests) == 0 && dr.LocalOnly != "allow":
		why = "local only: no RepoDigests (never pushed or pulled, so it cannot be pulled again); localOnly: protect"
	default:
		return
	}
	td.Action = retention.Keep
	td.Reasons = []string{why + " (overrides: " + strings.Join(td.Reasons, "; ") + ")"}
}
