package docker

import (
	"sort"
	"strings"

	"github.com/regprune/regprune/retention"
)

// planDeletions turns the tag decisions and followed digests into
// deletions per image. An image whose references all go is removed
// (kind image, with every reference), listed under the first of its
// repositories; otherwise its references go alone (kind tag, one deletion
// per repository). When the last tag of a repository goes, the engine
// drops that repository's digest references too, so the plan lists them.
func planDeletions(sel *selection, inv *inventory, decisions map[string]*retention.TagDecision, follows map[string][]followed, at map[string]int) {
	type pending struct {
		tags, images []retention.Deletion
	}
	per := make([]pending, len(sel.repos))
	for _, img := range inv.images {
		removed := map[string]string{} // ref -> why
		for _, ref := range img.Tags {
			if td := decisions[ref]; td != nil && td.Action == retention.Delete {
				removed[ref] = "tag deleted"
			}
		}
		for _, f := range follows[img.ID] {
			removed[f.ref] = "digest deleted remotely"
		}
		if len(removed) == 0 {
			continue
		}
		keptRepos := map[string]bool{}
		for _, ref := range img.Tags {
			if _, ok := removed[ref]; !ok {
				repo, _ := splitRef(ref)
				keptRepos[repo] = true
			}
		}
		for _, ref := range img.Digests {
			if repo, _ := splitRef(ref); !keptRepos[repo] && removedTagOf(removed, img.Tags, repo) {
				if _, ok := removed[ref]; !ok {
					removed[ref] = "the repository's last tag goes"
				}
			}
		}
		var gone, stays []string
		for _, ref := range append(append([]string{}, img.Tags...), img.Digests...) {
			if _, ok := removed[ref]; ok {
				gone = append(gone, ref)
			} else {
				stays = append(stays, ref)
			}
		}
		if len(stays) == 0 {
			home, _ := splitRef(gone[0])
			for _, ref := range gone {
				if r, _ := splitRef(ref); r < home {
					home = r
				}
			}
			sel.gone[img.ID] = true
			per[at[home]].images = append(per[at[home]].images, retention.Deletion{
				Digest: img.ID, Tags: gone, Kind: retention.KindImage,
				Reason: "every reference is removed and no container uses it",
			})
			continue
		}
		byRepo := map[string][]string{}
		var repos []string
		for _, ref := range gone {
			repo, _ := splitRef(ref)
			if _, ok := byRepo[repo]; !ok {
				repos = append(repos, repo)
			}
			byRepo[repo] = append(byRepo[repo], ref)
		}
		sort.Strings(repos)
		why := "the image stays for its other references: " + strings.Join(stays, ", ")
		for _, repo := range repos {
			per[at[repo]].tags = append(per[at[repo]].tags, retention.Deletion{
				Digest: img.ID, Tags: byRepo[repo], Kind: retention.KindTag, Reason: why,
			})
			for _, ref := range byRepo[repo] {
				if td := decisions[ref]; td != nil {
					td.Reasons = append(td.Reasons, "reference removed alone: "+why)
				}
			}
		}
	}
	for i := range sel.repos {
		sel.repos[i].Deletions = append(append(sel.repos[i].Deletions, per[i].tags...), per[i].images...)
	}
}

// removedTagOf reports whether a tag of repo is among the removed refs.
func removedTagOf(removed map[string]string, tags []string, repo string) bool {
	for _, ref := range tags {
		if r, _ := splitRef(ref); r == repo {
			if _, ok := removed[ref]; ok {
				return true
			}
		}
	}
	return false
}
