package console

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
)

// TestLibraryLogsBecomeJSON: a line logged through logrus's standard
// logger arrives as one JSON record of regprune's logger. Not parallel:
// logrus's standard logger is global.
func TestLibraryLogsBecomeJSON(t *testing.T) {
	t.Cleanup(func() { logrus.SetOutput(os.Stderr) })
	var buf bytes.Buffer
	RouteLibraryLogs(slog.New(slog.NewJSONHandler(&buf, nil)))
	logrus.WithField("registry", "123456789012.dkr.ecr.eu-west-1.amazonaws.com").Info("Falling back to cached token.")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("got %d lines, want 1: %q", len(lines), buf.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatalf("not a JSON line: %q: %v", lines[0], err)
	}
	if rec["level"] != "WARN" || rec["logger"] != "logrus" || !strings.Contains(rec["output"].(string), "Falling back to cached token.") {
		t.Errorf("record %v, want a WARN from logrus with the line", rec)
	}
}
