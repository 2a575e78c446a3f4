package metrics

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/regprune/regprune/retention"
)

func report() *retention.Plan {
	return &retention.Plan{Mode: "apply", Summary: retention.Summary{
		Repositories: 3, Failed: 1, Tags: 10, Keep: 6, Delete: 4, Deleted: 3, Skipped: 1, DeletionsFailed: 2,
		ReclaimedBytes: 4096, EstimatedBytes: 5000,
	}}
}

// value reads one gauge with the given label value (or none).
func value(t *testing.T, families map[string]*dto.MetricFamily, name, label, labelValue string) float64 {
	t.Helper()
	f, ok := families[name]
	if !ok {
		t.Fatalf("metric %s missing", name)
	}
	for _, m := range f.GetMetric() {
		if label == "" {
			return m.GetGauge().GetValue()
		}
		for _, lp := range m.GetLabel() {
			if lp.GetName() == label && lp.GetValue() == labelValue {
				return m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("metric %s{%s=%q} missing", name, label, labelValue)
	return 0
}

func checkFamilies(t *testing.T, families map[string]*dto.MetricFamily, succeeded bool) {
	t.Helper()
	for _, c := range []struct {
		name, label, value string
		want               float64
	}{
		{"regprune_tags", "action", "keep", 6},
		{"regprune_tags", "action", "delete", 4},
		{"regprune_tags_seen", "", "", 10},
		{"regprune_deletions", "status", "deleted", 3},
		{"regprune_deletions", "status", "failed", 2},
		{"regprune_repositories_failed", "", "", 1},
		{"regprune_bytes_reclaimed", "", "", 4096},
		{"regprune_duration_seconds", "", "", 1.5},
	} {
		if got := value(t, families, c.name, c.label, c.value); got != c.want {
			t.Errorf("%s{%s=%q} = %v, want %v", c.name, c.label, c.value, got, c.want)
		}
	}
	_, hasSuccess := families["regprune_last_success_timestamp_seconds"]
	if hasSuccess != succeeded {
		t.Errorf("last success timestamp present = %v, want %v", hasSuccess, succeeded)
	}
}

func TestPush(t *testing.T) {
	t.Parallel()
	got := make(chan map[string]*dto.MetricFamily, 1)
	var path, method string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path, method = r.URL.Path, r.Method
		dec := expfmt.NewDecoder(r.Body, expfmt.ResponseFormat(r.Header))
		families := map[string]*dto.MetricFamily{}
		for {
			var f dto.MetricFamily
			if err := dec.Decode(&f); err != nil {
				break
			}
			families[f.GetName()] = &f
		}
		got <- families
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	reg := Gather(report(), 1500*time.Millisecond, true, time.Unix(1700000000, 0))
	if err := Push(context.Background(), srv.URL, reg, Mode(report()), map[string]string{"shard": "0"}); err != nil {
		t.Fatal(err)
	}
	families := <-got
	checkFamilies(t, families, true)
	// The grouping key is a label set: its order in the path is free.
	if method != http.MethodPost || (path != "/metrics/job/regprune/shard/0/mode/apply" && path != "/metrics/job/regprune/mode/apply/shard/0") {
		t.Errorf("pushed with %s %s, want POST /metrics/job/regprune with shard 0 and mode apply in the key (add, not replace)", method, path)
	}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "mode" || l.GetName() == "shard" {
					t.Errorf("pushed %s carries %s=%q, a label of the grouping key (the Pushgateway refuses that)", name, l.GetName(), l.GetValue())
				}
			}
		}
	}
	if v := value(t, families, "regprune_last_success_timestamp_seconds", "", ""); v != 1700000000 {
		t.Errorf("last success = %v", v)
	}
}

func TestTextfile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "regprune.prom")
	if err := WriteTextfile(path, Gather(report(), 1500*time.Millisecond, false, time.Now())); err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(fh)
	if err != nil {
		t.Fatalf("parsing the textfile: %v", err)
	}
	checkFamilies(t, families, false)
}
