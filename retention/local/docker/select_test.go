package docker

import (
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/retention"
)

// newInventory builds an engine reading from plain values, for the pure
// decision (no engine needed). users maps image IDs to their containers.
func newInventory(users map[string][]string, images ...*image) *inventory {
	inv := &inventory{byID: map[string]*image{}, byRef: map[string]*image{}, users: users}
	if inv.users == nil {
		inv.users = map[string][]string{}
	}
	for _, img := range images {
		inv.images = append(inv.images, img)
		inv.byID[img.ID] = img
		for _, r := range append(append([]string{}, img.Tags...), img.Digests...) {
			inv.byRef[r] = img
		}
	}
	return inv
}

func id(n string) string { return "sha256:" + strings.Repeat(n, 64)[:64] }

// TestSelectDeletions decides over a fixed engine reading: shared
// digests, use by containers, images never pushed, unreadable images
// and dangling ones, each with the outcome and the reason it must give.
func TestSelectDeletions(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	old := now.AddDate(0, 0, -30)
	app := "acme/app"
	pulled := func(n string, tags ...string) *image {
		return &image{ID: id(n), Tags: tags, Digests: []string{app + "@" + id("f"+n)}, Created: old, SharedSize: -1}
	}
	keepV2 := retention.DockerCache{Dangling: retention.Duration(48 * time.Hour), Policies: []retention.Policy{{
		Name: "app", Repositories: []string{app}, Keep: []retention.KeepRule{{Tags: []string{"v2"}}},
	}}}
	tests := []struct {
		name  string
		dc    retention.DockerCache
		inv   *inventory
		image string
		// kind is the deletion planned for image ("" for none); why is in
		// its reason, or in the kept tag's reasons when none.
		kind retention.Kind
		why  string
	}{
		{"every reference goes", keepV2, newInventory(nil, pulled("1", app+":v1"), pulled("2", app+":v2")),
			id("1"), retention.KindImage, "every reference is removed"},
		{"shared with a kept tag", keepV2, newInventory(nil, pulled("1", app+":v1", app+":v2")),
			id("1"), retention.KindTag, "the image stays for its other references: " + app + ":v2"},
		{"in use", keepV2, newInventory(map[string][]string{id("1"): {"web (running)"}}, pulled("1", app+":v1")),
			id("1"), "", "in use by container web (running)"},
		{"never pushed", keepV2, newInventory(nil, &image{ID: id("1"), Tags: []string{app + ":v1"}, Created: old}),
			id("1"), "", "local only: no RepoDigests"},
		{"unreadable", keepV2, newInventory(nil, &image{ID: id("1"), Tags: []string{app + ":v1"}, Digests: []string{app + "@" + id("f")}, Unreadable: "inspect failed"}),
			id("1"), "", "could not describe it: inspect failed"},
		{"dangling and old", keepV2, newInventory(nil, &image{ID: id("3"), Created: old}),
			id("3"), retention.KindImage, "older than dangling 2d"},
		{"dangling of unknown age", keepV2, newInventory(nil, &image{ID: id("3"), Created: time.Unix(0, 0)}),
			id("3"), "", "creation time unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel := selectDeletions(now, rules(t, tt.dc, 0), nil, tt.inv)
			var dels []retention.Deletion
			var reasons []string
			for _, rp := range sel.repos {
				for _, d := range rp.Deletions {
					if d.Digest == tt.image {
						dels = append(dels, d)
					}
				}
				for _, td := range rp.Tags {
					if td.Digest == tt.image {
						reasons = append(reasons, td.Reasons...)
					}
				}
			}
			switch {
			case tt.kind == "" && len(dels) > 0:
				t.Errorf("deletions %+v, want none", dels)
			case tt.kind != "" && (len(dels) != 1 || dels[0].Kind != tt.kind):
				t.Errorf("deletions %+v, want one of kind %s", dels, tt.kind)
			}
			got := strings.Join(reasons, "; ")
			if len(dels) == 1 {
				got = dels[0].Reason + "; " + got
			}
			if !strings.Contains(got, tt.why) {
				t.Errorf("reasons %q, want %q", got, tt.why)
			}
			if tt.kind == retention.KindImage && !sel.gone[tt.image] {
				t.Errorf("image not among those the plan removes")
			}
		})
	}
}
