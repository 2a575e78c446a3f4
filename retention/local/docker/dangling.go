package docker

import (
	"strings"
	"time"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/manifest"
)

// planDangling removes dangling images (no tag, no digest reference, no
// container) created longer than d ago. Their creation time is the only
// time they have; an unknown one keeps them.
func planDangling(now time.Time, d time.Duration, inv *inventory, gone map[string]bool) (retention.RepoPlan, bool) {
	rp := retention.RepoPlan{
		Repository: danglingRepo,
		Policies:   []string{"dangling " + retention.Duration(d).String()},
		Tags:       []retention.TagDecision{},
		Deletions:  []retention.Deletion{},
	}
	limit := retention.Duration(d).String()
	for _, img := range inv.images {
		if len(img.Tags) > 0 || len(img.Digests) > 0 {
			continue
		}
		td := retention.TagDecision{Tag: "<none>", Digest: img.ID, Action: retention.Keep, Clock: clockDanglingLabel}
		known := manifest.Plausible(img.Created, now)
		if known {
			c := img.Created.UTC()
			td.Created = &c
		}
		switch {
		case img.Unreadable != "":
			td.Reasons = []string{"kept because the engine could not describe it: " + img.Unreadable}
		case len(inv.users[img.ID]) > 0:
			td.Reasons = []string{"in use by container " + strings.Join(inv.users[img.ID], ", ")}
		case !known:
			td.Reasons = []string{"creation time unknown, so dangling " + limit + " cannot be checked (unknown is not old)"}
		case now.Sub(img.Created) < d:
			td.Reasons = []string{"dangling, created " + retention.Ago(now, img.Created) + ", younger than dangling " + limit}
		default:
			td.Action = retention.Delete
			td.Reasons = []string{"dangling, created " + retention.Ago(now, img.Created) + ", older than dangling " + limit}
			rp.Deletions = append(rp.Deletions, retention.Deletion{Digest: img.ID, Tags: []string{}, Kind: retention.KindImage, Reason: td.Reasons[0]})
			gone[img.ID] = true
		}
		rp.Tags = append(rp.Tags, td)
	}
	return rp, len(rp.Tags) > 0
}
