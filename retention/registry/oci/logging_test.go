package oci

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
)

// flaky answers the first tags/list request with a 503 and fails the
// first manifest request without a response; the rest go through.
type flaky struct {
	mu         sync.Mutex
	tags, mans int
}

func (f *flaky) RoundTrip(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	var fail503, failConn bool
	switch {
	case strings.HasSuffix(req.URL.Path, "/tags/list"):
		f.tags++
		fail503 = f.tags == 1
	case strings.Contains(req.URL.Path, "/manifests/"):
		f.mans++
		failConn = f.mans == 1
	}
	f.mu.Unlock()
	switch {
	case fail503:
		return &http.Response{StatusCode: http.StatusServiceUnavailable, Header: http.Header{}, Body: http.NoBody, Request: req}, nil
	case failConn:
		return nil, errors.New("connection reset by peer")
	}
	return http.DefaultTransport.RoundTrip(req)
}

// TestRequestAndRetryLogs: a retry is a WARN line with the status or the
// connection error and the wait; every request is a debug line with its
// method, path, status and duration; no log line carries the password,
// the Basic credential or the bearer token.
func TestRequestAndRetryLogs(t *testing.T) {
	t.Parallel()
	b := newBearerRegistry(t)
	ctx := context.Background()
	if _, err := seed.History(ctx, b.host+"/app", []seed.Entry{{Tag: "a", Created: jan}}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	const password = "pw-0123456789"
	c := newClient(t, []retention.Registry{{Host: b.host, Username: "robot", Password: retention.Secret(password)}},
		WithBaseTransport(&flaky{}), fastRetry(2), WithLogger(log))
	if _, err := c.List(ctx, b.host+"/app", true, now); err != nil {
		t.Fatal(err)
	}
	var retries503, retriesConn, requests int
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		switch rec["msg"] {
		case "retrying request":
			if rec["level"] != "WARN" || rec["wait"] == nil || rec["retriesLeft"] == nil {
				t.Errorf("retry line %s: want a WARN with the wait and the retries left", line)
			}
			if rec["status"] == float64(503) {
				retries503++
			}
			if e, _ := rec["error"].(string); strings.Contains(e, "connection reset") {
				retriesConn++
			}
		case "request":
			if rec["method"] != nil && rec["path"] != nil && rec["duration"] != nil && (rec["status"] != nil || rec["error"] != nil) {
				requests++
			}
		}
	}
	if retries503 != 1 || retriesConn != 1 {
		t.Errorf("retry warnings: %d for the 503, %d for the connection error; want 1 and 1:\n%s", retries503, retriesConn, buf.String())
	}
	if requests < 4 {
		t.Errorf("%d debug request lines, want one per request (at least 4):\n%s", requests, buf.String())
	}
	basic := base64.StdEncoding.EncodeToString([]byte("robot:" + password))
	for _, secret := range []string{password, basic, "secret-token", "Authorization"} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("the logs carry %q:\n%s", secret, buf.String())
		}
	}
}
