package console

import (
	"log/slog"

	"github.com/sirupsen/logrus"

	"github.com/regprune/regprune/internal/logbridge"
)

// RouteLibraryLogs sends what libraries log through logrus's standard
// logger (the ECR credential helper says so when it falls back to a
// cached token) to log as warnings, so that stderr keeps one format: with
// --log-format json every line is a JSON object.
func RouteLibraryLogs(log *slog.Logger) {
	logrus.SetOutput(logbridge.Writer(log, slog.LevelWarn, "logged by a library", "logger", "logrus"))
}
