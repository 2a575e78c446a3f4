package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/regprune/regprune/internal/registrytest"
)

// TestMetricsAndStepSummary: apply pushes its metrics to a Pushgateway
// and writes the textfile, both decoded with the Prometheus parsers, and
// appends its markdown report to GITHUB_STEP_SUMMARY.
func TestMetricsAndStepSummary(t *testing.T) {
	t.Parallel()
	reg := registrytest.InMemory(t, false)
	seedReleases(t, reg, 3)
	gw := newGateway(t)
	dir := t.TempDir()
	textfile := filepath.Join(dir, "regprune.prom")
	summary := filepath.Join(dir, "summary.md")
	cfg := releasesConfig(t, "", reg.Host, reg.Repo("acme/app"))
	r := runCLI(t, map[string]string{"GITHUB_STEP_SUMMARY": summary},
		"apply", "-c", cfg, "-o", "json", "--pushgateway", gw.URL, "--metrics-file", textfile)
	if r.code != 0 {
		t.Fatalf("apply: exit %d\n%s", r.code, r.stderr)
	}
	fh, err := os.Open(textfile)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fromFile, err := parser.TextToMetricFamilies(fh)
	if err != nil {
		t.Fatalf("parsing the textfile: %v", err)
	}
	pushed, path := gw.last()
	if path != "/metrics/job/regprune/mode/apply" {
		t.Errorf("pushed to %q, want /metrics/job/regprune/mode/apply", path)
	}
	for name, fams := range map[string]map[string]*dto.MetricFamily{"textfile": fromFile, "push": pushed} {
		deleted := -1.0
		for _, m := range fams["regprune_deletions"].GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "status" && l.GetValue() == "deleted" {
					deleted = m.GetGauge().GetValue()
				}
			}
		}
		if deleted != 2 {
			t.Errorf("%s: regprune_deletions{status=deleted} = %v, want 2", name, deleted)
		}
		if _, ok := fams["regprune_last_success_timestamp_seconds"]; !ok {
			t.Errorf("%s: a successful run sets regprune_last_success_timestamp_seconds", name)
		}
	}
	b, err := os.ReadFile(summary)
	if err != nil {
		t.Fatalf("GITHUB_STEP_SUMMARY was not written: %v", err)
	}
	if !strings.HasPrefix(string(b), "## regprune apply") || !strings.Contains(string(b), "acme/app") {
		t.Errorf("step summary:\n%s", b)
	}
}

// TestPlanPushKeepsApplysLastSuccess: a Pushgateway push replaces every
// series of each metric name it sends within its group, so a plan pushed
// after an apply must not erase apply's
// regprune_last_success_timestamp_seconds: each mode is its own group.
func TestPlanPushKeepsApplysLastSuccess(t *testing.T) {
	t.Parallel()
	reg := registrytest.InMemory(t, false)
	seedReleases(t, reg, 3)
	gw := newGateway(t)
	cfg := releasesConfig(t, "", reg.Host, reg.Repo("acme/app"))
	for _, mode := range []string{"apply", "plan"} {
		if r := runCLI(t, nil, mode, "-c", cfg, "--pushgateway", gw.URL); r.code != 0 {
			t.Fatalf("%s: exit %d\n%s", mode, r.code, r.stderr)
		}
	}
	for _, mode := range []string{"apply", "plan"} {
		if !gw.series("regprune_last_success_timestamp_seconds", mode) {
			t.Errorf("after apply then plan, the gateway has no regprune_last_success_timestamp_seconds of mode %s", mode)
		}
	}
}
