package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
)

// seedReleases pushes n releases v1.0.0, v1.1.0, ... to acme/app on reg,
// an hour apart and days old, and returns their digests by tag.
func seedReleases(t *testing.T, reg *registrytest.Registry, n int) map[string]string {
	t.Helper()
	now := time.Now()
	var entries []seed.Entry
	for i := 0; i < n; i++ {
		entries = append(entries, seed.Entry{Tag: fmt.Sprintf("v1.%d.0", i), Created: now.Add(-time.Duration(100-i) * time.Hour)})
	}
	digests, err := seed.History(context.Background(), reg.Repo("acme/app"), entries)
	if err != nil {
		t.Fatal(err)
	}
	return digests
}

// releasesConfig writes a configuration that keeps the highest release
// of repo on the registry at host (plain HTTP), after the top-level
// lines in head (such as "concurrency: 1").
func releasesConfig(t *testing.T, head, host, repo string) string {
	t.Helper()
	return writeConfig(t, fmt.Sprintf(`%s
registries: [{host: "%s", insecure: true}]
policies:
  - name: p
    repositories: ["%s"]
    keep: [{semver: {highest: 1}}]
`, head, host, repo))
}

// gateway is an in-process Pushgateway that decodes what it is sent with
// the Prometheus exposition parser and keeps it as the Pushgateway does:
// one group per grouping key (the URL path); a POST replaces, within its
// group, every series of each metric name it sends, a PUT the group.
type gateway struct {
	URL string

	mu       sync.Mutex
	families map[string]*dto.MetricFamily
	path     string
	groups   map[string]map[string]*dto.MetricFamily
}

func newGateway(t *testing.T) *gateway {
	t.Helper()
	g := &gateway{groups: map[string]map[string]*dto.MetricFamily{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fams := map[string]*dto.MetricFamily{}
		dec := expfmt.NewDecoder(r.Body, expfmt.ResponseFormat(r.Header))
		for {
			var f dto.MetricFamily
			if dec.Decode(&f) != nil {
				break
			}
			fams[f.GetName()] = &f
		}
		g.mu.Lock()
		defer g.mu.Unlock()
		g.families, g.path = fams, r.URL.Path
		group := g.groups[r.URL.Path]
		if group == nil || r.Method == http.MethodPut {
			group = map[string]*dto.MetricFamily{}
			g.groups[r.URL.Path] = group
		}
		for name, f := range fams {
			group[name] = f
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	g.URL = srv.URL
	return g
}

// series reports whether the gateway holds a series of metric name with
// label mode=mode, in the metric or in its group's key.
func (g *gateway) series(name, mode string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for path, group := range g.groups {
		for _, m := range group[name].GetMetric() {
			if strings.Contains(path+"/", "/mode/"+mode+"/") {
				return true
			}
			for _, l := range m.GetLabel() {
				if l.GetName() == "mode" && l.GetValue() == mode {
					return true
				}
			}
		}
	}
	return false
}

// last returns the metric families of the last push and its path (nil
// before any push).
func (g *gateway) last() (map[string]*dto.MetricFamily, string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.families, g.path
}
