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
	mode := p.Mode
	if p.DryRun {
		mode += "-dry-run"
	}
	labels := prometheus.Labels{"mode": mode}
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
	if p.Mode == "apply" && !p.DryRun {
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
// given grouping (a shard, say). It adds rather than replaces, so
// regprune_last_success_timestamp_seconds survives a failed run.
func Push(ctx context.Context, url string, reg *prometheus.Registry, grouping map[string]string) error {
	p := push.New(url, Job).Gatherer(reg).Client(&http.Client{Timeout: 30 * time.Second})
	for k, v := range grouping {
		p = p.Grouping(k, v)
	}
	if err := p.AddContext(ctx); err != nil {
		return fmt.Errorf("pushing metrics to %s: %w", url, err)
	}
	return nil
}

// WriteTextfile writes the metrics for node-exporter's textfile collector,
// atomically (a temporary file renamed into place).
func WriteTextfile(path string, reg *prometheus.Registry) error {
	if err := prometheus.WriteToTextfile(path, reg); err != nil {
		return fmt.Errorf("writing metrics to %s: %w", path, err)
	}
	return nil
}
