package docker

import (
	"fmt"
	"strings"

	"github.com/regprune/regprune/retention"
)

// followed is one digest reference whose digest this run deleted from
// the same repository in a registry.
type followed struct {
	ref    string // repo@digest as the engine shows it
	repo   string
	remote string // the remote repository's name as given
}

// followRemote finds the digest references whose digest this run deleted
// from the same repository (names compared normalized: nginx is
// docker.io/library/nginx, index.docker.io is docker.io).
func followRemote(dr retention.DockerRules, remoteDeleted map[string][]string, inv *inventory) (map[string][]followed, []string) {
	if !dr.FollowRemote {
		return nil, nil
	}
	if len(remoteDeleted) == 0 {
		return nil, []string{"followRemote: nothing to follow (no digest was deleted from a registry)"}
	}
	deleted := map[string]map[string]string{} // normalized repo -> digest -> repo as given
	for repo, ds := range remoteDeleted {
		n := normalize(repo)
		if deleted[n] == nil {
			deleted[n] = map[string]string{}
		}
		for _, d := range ds {
			deleted[n][d] = repo
		}
	}
	out := map[string][]followed{}
	var notes []string
	for _, img := range inv.images {
		for _, ref := range img.Digests {
			repo, dg := splitRef(ref)
			remote, ok := deleted[normalize(repo)][dg]
			if !ok {
				continue
			}
			if img.Unreadable != "" {
				notes = append(notes, fmt.Sprintf("followRemote: %s stays: %s", ref, img.Unreadable))
				continue
			}
			if users := inv.users[img.ID]; len(users) > 0 {
				notes = append(notes, fmt.Sprintf("followRemote: %s stays with its tags: image %s is in use by container %s", ref, img.ID, strings.Join(users, ", ")))
				continue
			}
			out[img.ID] = append(out[img.ID], followed{ref: ref, repo: repo, remote: remote})
		}
	}
	return out, notes
}

// followTag removes a tag of a repository whose digest the registry lost,
// unless a local keep rule or protect.tags keeps it.
func followTag(td *retention.TagDecision, f followed, rules *retention.Rules, inv *inventory) {
	why := fmt.Sprintf("followRemote: %s was deleted from %s by this run", f.ref[len(f.repo)+1:], f.remote)
	switch {
	case td.Action == retention.Delete:
		td.Reasons = append(td.Reasons, why)
	case governsTag(rules.PoliciesFor(append([]string{f.repo}, aliases(f.repo)...)...), td.Tag):
		td.Reasons = append(td.Reasons, why+", but the local policy keeps the tag")
	default:
		if p, ok := rules.Protect.Match(td.Tag); ok {
			td.Reasons = []string{fmt.Sprintf("protected by protect.tags %q (%s)", p.String(), why)}
			return
		}
		td.Action = retention.Delete
		td.Reasons = []string{why}
	}
}
