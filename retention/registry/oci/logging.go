package oci

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"time"
)

// logRequests writes one debug line per HTTP attempt: method, host, path,
// status and duration. Never the query (a token realm's can carry an
// account name), never a header: no credential reaches a log.
type logRequests struct {
	next http.RoundTripper
	log  *slog.Logger
}

func (l logRequests) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if !l.log.Enabled(ctx, slog.LevelDebug) {
		return l.next.RoundTrip(req)
	}
	start := time.Now()
	resp, err := l.next.RoundTrip(req)
	attrs := []any{"method", req.Method, "host", req.URL.Host, "path", req.URL.Path, "duration", time.Since(start).Round(time.Millisecond)}
	if err != nil {
		l.log.DebugContext(ctx, "request", append(attrs, "error", err.Error())...)
		return resp, err
	}
	l.log.DebugContext(ctx, "request", append(attrs, "status", resp.StatusCode)...)
	return resp, nil
}

// retryLog is go-retryablehttp's LeveledLogger, on slog: each retry is a
// WARN line with the request, the status or the connection error that
// caused it, and the wait before the next attempt, so an unreachable
// registry or a storm of 429s is never silence. The rest of what the
// library says is debug.
type retryLog struct {
	log *slog.Logger
	mu  sync.Mutex
	// failed holds the error of a request that failed without a
	// response, by "METHOD URL", until its retry is logged.
	failed map[string]string
}

var _ interface {
	Error(string, ...any)
	Info(string, ...any)
	Debug(string, ...any)
	Warn(string, ...any)
} = (*retryLog)(nil)

// maxFailedKept bounds the errors kept for a retry line: a request that
// fails and is not retried (an https probe of a plain-HTTP registry)
// leaves its error behind.
const maxFailedKept = 1024

func newRetryLog(l *slog.Logger) *retryLog {
	return &retryLog{log: l, failed: map[string]string{}}
}

// retryDesc is how go-retryablehttp describes a request it retries:
// "METHOD URL", with " (status: N)" when there was a response.
var retryDesc = regexp.MustCompile(`^(\S+ \S+)(?: \(status: (\d+)\))?$`)

func (l *retryLog) Debug(msg string, kv ...any) {
	if msg != "retrying request" {
		return // "performing request": logRequests says it with the outcome
	}
	desc, _ := value(kv, "request").(string)
	wait, _ := value(kv, "timeout").(time.Duration)
	left, _ := value(kv, "remaining").(int)
	attrs := []any{"wait", wait.Round(time.Millisecond), "retriesLeft", left}
	m := retryDesc.FindStringSubmatch(desc)
	switch {
	case m == nil:
		attrs = append(attrs, "request", desc)
	case m[2] != "":
		status, _ := strconv.Atoi(m[2])
		attrs = append(attrs, "request", m[1], "status", status)
	default:
		l.mu.Lock()
		e := l.failed[m[1]]
		delete(l.failed, m[1])
		l.mu.Unlock()
		attrs = append(attrs, "request", m[1], "error", e)
	}
	l.log.LogAttrs(context.Background(), slog.LevelWarn, "retrying request", argsToAttrs(attrs)...)
}

func (l *retryLog) Error(msg string, kv ...any) {
	if msg == "request failed" {
		method, _ := value(kv, "method").(string)
		url, _ := value(kv, "url").(string)
		l.mu.Lock()
		if len(l.failed) >= maxFailedKept {
			clear(l.failed) // requests that failed and were not retried
		}
		l.failed[method+" "+url] = fmt.Sprint(value(kv, "error"))
		l.mu.Unlock()
	}
	l.log.Debug(msg, kv...)
}

func (l *retryLog) Info(msg string, kv ...any) { l.log.Debug(msg, kv...) }
func (l *retryLog) Warn(msg string, kv ...any) { l.log.Debug(msg, kv...) }

// value finds key in a list of alternating keys and values.
func value(kv []any, key string) any {
	for i := 0; i+1 < len(kv); i += 2 {
		if k, ok := kv[i].(string); ok && k == key {
			return kv[i+1]
		}
	}
	return nil
}

func argsToAttrs(kv []any) []slog.Attr {
	attrs := make([]slog.Attr, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		attrs = append(attrs, slog.Any(kv[i].(string), kv[i+1]))
	}
	return attrs
}
