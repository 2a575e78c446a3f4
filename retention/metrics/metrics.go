// Package metrics turns a run's report into Prometheus metrics, pushed to
// a Pushgateway or written for node-exporter's textfile collector. A
// retention job is short-lived, so every metric describes the last run.
package metrics

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/push"
	dto "github.com/prometheus/client_model/go"

	"github.com/regprune/regprune/retention"
)

// Job is the Pushgateway job name.
const Job = "regprune"

// Gather builds the metrics of one run. lastSuccess is set only when the
// run succeeded: a Pushgateway then keeps the previous value across
// failed runs (Push adds rather than replaces), so an alert on its age
// catches a job that keeps failing.
func Gather(p *retention.Plan, duration time.Duration, succeeded bool, now time.Time) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	labels := prometheus.Labels{"mode": Mode(p)}
	gauge := func(name, help string, v float64) {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: labels})
		g.Set(v)
		reg.MustRegister(g)
	}
	s := p.Summary
	tags := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "regprune_tags", Help: "Tags seen by the last run, by decision.", ConstLabels: labels}, []string{"action"})
	tags.WithLabelValues("keep").Set(float64(s.Keep))
	tags.WithLabelValues("delete").Set(float64(s.Delete))
	reg.MustRegister(tags)
	gauge("regprune_tags_seen", "Tags seen by the last run.", float64(s.Tags))
	dels := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "regprune_deletions", Help: "Deletions of the last run, by status (planned in a plan).", ConstLabels: labels}, []string{"status"})
	if p.Mode == retention.ModeApply && !p.DryRun {
		dels.WithLabelValues("deleted").Set(float64(s.Deleted))
		dels.WithLabelValues("skipped").Set(float64(s.Skipped))
		dels.WithLabelValues("failed").Set(float64(s.DeletionsFailed))
		dels.WithLabelValues("untagged").Set(float64(s.Untagged))
	} else {
		dels.WithLabelValues("planned").Set(float64(s.Manifests + s.TagOnly + s.Children + s.Referrers))
	}
	reg.MustRegister(dels)
	gauge("regprune_repositories", "Repositories the last run covered.", float64(s.Repositories))
	gauge("regprune_repositories_failed", "Repositories the last run could not list or resolve.", float64(s.Failed))
	gauge("regprune_local_caches_failed", "Local caches the last run could not read or write.", float64(s.LocalFailed))
	gauge("regprune_bytes_reclaimed", "Bytes the last run reclaimed in local caches, as measured.", float64(s.ReclaimedBytes))
	gauge("regprune_bytes_estimated", "Bytes the last run's plan estimated it would free in local caches.", float64(s.EstimatedBytes))
	gauge("regprune_duration_seconds", "How long the last run took.", duration.Seconds())
	aborted := 0.0
	if p.Aborted != "" {
		aborted = 1
	}
	gauge("regprune_aborted", "1 if the last run was stopped by the maxDeletions brake.", aborted)
	if succeeded {
		gauge("regprune_last_success_timestamp_seconds", "When the last successful run finished, in Unix seconds.", float64(now.Unix()))
	}
	return reg
}

// Push sends the metrics to a Pushgateway under job "regprune" and the
// grouping key: the run's mode and the given grouping (a shard, say).
// It adds rather than replaces, so
// regprune_last_success_timestamp_seconds survives a failed run. The
// mode is in the key because a push replaces, within its group, every
// series of each metric name it sends: in one group a plan's push would
// erase apply's last-success time. Labels of the key are moved out of
// the metrics (the Pushgateway adds them back), as it requires.
func Push(ctx context.Context, url string, reg *prometheus.Registry, mode string, grouping map[string]string) error {
	key := map[string]string{"mode": mode}
	for k, v := range grouping {
		key[k] = v
	}
	p := push.New(url, Job).Gatherer(withoutLabels(reg, key)).Client(&http.Client{Timeout: 30 * time.Second})
	for k, v := range key {
		p = p.Grouping(k, v)
	}
	if err := p.AddContext(ctx); err != nil {
		return fmt.Errorf("pushing metrics to %s: %w", url, err)
	}
	return nil
}

// Mode is the mode label of a run's metrics: "plan", "apply", or
// "apply-dry-run".
func Mode(p *retention.Plan) string {
	if p.DryRun {
		return string(p.Mode) + "-dry-run"
	}
	return string(p.Mode)
}

// withoutLabels gathers from g and drops the labels named in key from
// every metric; a metric whose label has another value than the key's
// fails the gathering.
func withoutLabels(g prometheus.Gatherer, key map[string]string) prometheus.Gatherer {
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		fams, err := g.Gather()
		if err != nil {
			return nil, err
		}
		for _, f := range fams {
			for _, m := range f.GetMetric() {
				kept := m.Label[:0]
				for _, l := range m.GetLabel() {
					v, inKey := key[l.GetName()]
					if !inKey {
						kept = append(kept, l)
						continue
					}
					if l.GetValue() != v {
						return nil, fmt.Errorf("metric %s has %s=%q, the grouping key %q", f.GetName(), l.GetName(), l.GetValue(), v)
					}
				}
				m.Label = kept
			}
		}
		return fams, nil
	})
}

// WriteTextfile writes the metrics for node-exporter's textfile collector,
// atomically (a temporary file renamed into place).
func WriteTextfile(path string, reg *prometheus.Registry) error {
	if err := prometheus.WriteToTextfile(path, reg); err != nil {
		return fmt.Errorf("writing metrics to %s: %w", path, err)
	}
	return nil
}
