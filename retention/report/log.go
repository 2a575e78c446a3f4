package report

import (
	"context"
	"log/slog"
	"time"

	"github.com/regprune/regprune/retention"
)

// Log writes the run's last log line, the one to alert on: the counts of
// p, how long the run took, and its exit code; at ERROR when the code is
// not 0.
func Log(log *slog.Logger, p *retention.Plan, took time.Duration, code int) {
	level := slog.LevelInfo
	if code != 0 {
		level = slog.LevelError
	}
	sm := p.Summary
	log.Log(context.Background(), level, "regprune finished", "mode", string(p.Mode), "dryRun", p.DryRun,
		"repositories", sm.Repositories, "failedRepositories", sm.Failed, "tags", sm.Tags, "keep", sm.Keep, "delete", sm.Delete,
		"deleted", sm.Deleted, "skipped", sm.Skipped, "failedDeletions", sm.DeletionsFailed,
		"localCaches", sm.LocalCaches, "failedLocalCaches", sm.LocalFailed, "warnings", len(p.Warnings), "aborted", p.Aborted != "",
		"duration", took.Round(time.Millisecond), "exitCode", code)
}
