// Package console is what regprune writes to stderr: its logs, the
// progress line on a terminal, and the error that ends a run.
package console

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// IsTerminal reports whether w is a terminal (logs as text, progress).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// DefaultFormat is the log format without --log-format: text on a
// terminal, JSON otherwise.
func DefaultFormat(stderr io.Writer) string {
	if IsTerminal(stderr) {
		return "text"
	}
	return "json"
}

// NewLogger builds the slog logger of --log-level and --log-format,
// writing to w (stderr, or the status line on it); the default format
// follows whether stderr is a terminal.
func NewLogger(w, stderr io.Writer, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %q is not a level (debug, info, warn, error)", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	f := format
	if f == "" {
		f = DefaultFormat(stderr)
	}
	switch f {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: %q is not a format (text, json)", format)
}

// PrintError writes the error that ends a run to stderr: "regprune: ..."
// for a person, or, when the logs are JSON (format), one JSON record at
// ERROR with the error and the exit code, so that a log pipeline (Loki,
// Fluent Bit) never meets a line that is not JSON, even for a run that
// stopped before its logger was built.
func PrintError(stderr io.Writer, format string, err error, code int, hint string) {
	if format != "json" {
		if hint != "" {
			hint = "\n" + hint
		}
		fmt.Fprintf(stderr, "regprune: %v%s\n", err, hint)
		return
	}
	attrs := []any{"error", err.Error(), "exitCode", code}
	if hint != "" {
		attrs = append(attrs, "hint", hint)
	}
	slog.New(slog.NewJSONHandler(stderr, nil)).Error("regprune failed", attrs...)
}

// StatusFor is the status line for stderr, or nil where progress is not
// shown: in CI (ci is $CI) and when stderr is not a terminal.
func StatusFor(stderr io.Writer, ci string) *Line {
	if !IsTerminal(stderr) || (ci != "" && ci != "false" && ci != "0") {
		return nil
	}
	return NewLine(stderr, time.Now)
}

// Progress returns a callback that redraws l ("planning: 3/10
// repositories"), or nil for a nil l (no status line). extra, when
// given, follows the count ("1234 tags").
func (s *Line) Progress(what, unit string) func(done, total int, extra ...string) {
	if s == nil {
		return nil
	}
	return func(done, total int, extra ...string) {
		line := fmt.Sprintf("%s: %d/%d %s", what, done, total, unit)
		if len(extra) > 0 {
			line += ", " + strings.Join(extra, ", ")
		}
		s.Set(line, done == total)
	}
}

// Deletions shows the deletions carried out, and the skipped and failed
// ones apart, so an interrupted run never looks finished.
func (s *Line) Deletions(deleted, skipped, failed, total int) {
	line := fmt.Sprintf("deleting: %d/%d deleted", deleted, total)
	if skipped > 0 {
		line += fmt.Sprintf(", %d skipped", skipped)
	}
	if failed > 0 {
		line += fmt.Sprintf(", %d failed", failed)
	}
	s.Set(line, deleted+skipped+failed == total)
}
