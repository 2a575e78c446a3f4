package retention

import (
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/retention/manifest"
)

// FuzzDecide evaluates policies on listings made from fuzz input and
// checks the invariants that must hold whatever the tags are: nothing
// panics, every tag has a reason, protected tags are kept, and no manifest
// that a kept tag reaches is deleted by digest.
func FuzzDecide(f *testing.F) {
	f.Add("v1.0.0 v1.1.0 main-1 main-2 latest sha256-6161616161616161616161616161616161616161616161616161616161616161.sig", "v*", 2, uint8(3), int64(3600))
	f.Add("a a a b b c", "/^a$/", 1, uint8(1), int64(0))
	f.Add("1.0.0-rc.1 v2 20240101 release-1", "*", 0, uint8(7), int64(-5))
	f.Fuzz(func(t *testing.T, tags, selector string, n int, shape uint8, minAge int64) {
		if n < 0 || n > 1000 {
			n = n%1000 + 1
			if n < 1 {
				n = 1
			}
		}
		if minAge < 0 {
			minAge = -minAge
		}
		cfg := Config{
			MinAge:  Duration(time.Duration(minAge%int64(1000*time.Hour)) * time.Second),
			Protect: Protect{Tags: []string{"latest"}},
			Policies: []Policy{{Name: "p", Repositories: []string{repo}, Keep: []KeepRule{
				{Tags: []string{selector}, Semver: &SemverRule{Highest: n, GroupBy: []string{"", "major", "minor"}[shape%3], Prerelease: shape&4 != 0}},
				{Newest: n},
			}}},
		}
		r, err := cfg.Compile()
		if err != nil {
			return // an invalid selector is refused by Compile, as it should be
		}
		l := Listing{Repository: repo, Manifests: map[string]Manifest{}, Missing: map[string]bool{}}
		for i, tag := range strings.Fields(tags) {
			d := dg(tag[:len(tag)/2+1])
			m := Manifest{Digest: d, MediaType: manifest.MediaTypeOCIManifest}
			if i%3 != 0 {
				m.Created = now.Add(-time.Duration(i) * time.Hour)
			}
			if shape&8 != 0 && i%2 == 0 {
				m.MediaType = manifest.MediaTypeOCIIndex
				m.Children = []string{dg("child" + tag), dg("shared")}
			}
			l.Manifests[d] = m
			l.Tags = append(l.Tags, Tag{Name: tag, Digest: d})
		}
		rp := Decide(now, r, l)
		keptDigests := map[string]bool{}
		for _, td := range rp.Tags {
			if len(td.Reasons) == 0 {
				t.Errorf("tag %q has no reason", td.Tag)
			}
			if td.Action != Keep && td.Action != Delete {
				t.Errorf("tag %q has action %q", td.Tag, td.Action)
			}
			if td.Tag == "latest" && td.Action != Keep {
				t.Errorf("protected tag deleted")
			}
			if td.Action == Keep {
				keptDigests[td.Digest] = true
				for _, c := range l.Manifests[td.Digest].Children {
					keptDigests[c] = true
				}
			}
		}
		for _, d := range rp.Deletions {
			if d.Kind != KindTag && keptDigests[d.Digest] {
				t.Errorf("%s deletion of %s, which a kept tag reaches", d.Kind, d.Digest)
			}
		}
	})
}
