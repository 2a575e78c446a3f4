package retention

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/regprune/regprune/retention/manifest"
)

// bigListing builds a repository of n tags: releases, branch and pull
// request builds, with one digest per three tags on average.
func bigListing(n int) Listing {
	l := Listing{Repository: repo, Manifests: make(map[string]Manifest, n/3+1), Missing: map[string]bool{}}
	for i := 0; i < n; i++ {
		d := dg(fmt.Sprintf("img-%d", i/3))
		var name string
		switch i % 3 {
		case 0:
			name = fmt.Sprintf("v%d.%d.%d", i/10000, (i/100)%100, i%100)
		case 1:
			name = fmt.Sprintf("main-%07d", i)
		default:
			name = fmt.Sprintf("pr-%d-%d", i%977, i)
		}
		if _, ok := l.Manifests[d]; !ok {
			l.Manifests[d] = Manifest{Digest: d, MediaType: manifest.MediaTypeOCIManifest, Created: now.Add(-time.Duration(i) * time.Minute)}
		}
		l.Tags = append(l.Tags, Tag{Name: name, Digest: d})
	}
	return l
}

func benchRules(b *testing.B) *Rules {
	r, err := (&Config{
		MinAge:  Duration(24 * time.Hour),
		Protect: Protect{Tags: []string{"latest", "/^release-.+$/"}},
		Policies: []Policy{{
			Name: "api", Repositories: []string{"localhost:5000/acme/*"},
			Keep: []KeepRule{
				{Tags: []string{"v*"}, Semver: &SemverRule{Highest: 3, GroupBy: "minor"}},
				{Tags: []string{"main-*", "pr-*"}, Newest: 5},
				{YoungerThan: Duration(30 * 24 * time.Hour)},
				{Tags: []string{"stable"}},
			},
		}},
	}).Compile()
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// BenchmarkDecide100k plans a repository of 100,000 tags from an in-memory
// listing. It reports the heap in use after planning (the listing and the
// plan both live), which must stay under 300 MB.
func BenchmarkDecide100k(b *testing.B) {
	l := bigListing(100_000)
	r := benchRules(b)
	b.ReportAllocs()
	b.ResetTimer()
	var rp RepoPlan
	for i := 0; i < b.N; i++ {
		rp = Decide(now, r, l)
	}
	b.StopTimer()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heapMB")
	if len(rp.Tags) != len(l.Tags) {
		b.Fatalf("planned %d tags, want %d", len(rp.Tags), len(l.Tags))
	}
}

// TestDecide100kMemory proves the memory target in the ordinary test run:
// planning 100,000 tags allocates well under 300 MB in total.
func TestDecide100kMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	l := bigListing(100_000)
	r, err := (&Config{MinAge: Duration(24 * time.Hour), Policies: []Policy{{Name: "p", Repositories: []string{repo},
		Keep: []KeepRule{{Tags: []string{"v*"}, Semver: &SemverRule{Highest: 3, GroupBy: "minor"}}, {Tags: []string{"main-*", "pr-*"}, Newest: 5}}}}}).Compile()
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rp := Decide(now, r, l)
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	if allocated > 300<<20 {
		t.Errorf("planning 100,000 tags allocated %d MB, want under 300 MB", allocated>>20)
	}
	t.Logf("planning 100,000 tags allocated %d MB", allocated>>20)
	if len(rp.Tags) != 100_000 {
		t.Fatalf("planned %d tags", len(rp.Tags))
	}
}
