package oci

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// ErrBodyStalled is the failure of a response body that sent nothing for
// the idle timeout (WithBodyIdleTimeout).
var ErrBodyStalled = errors.New("response body stalled")

// maxBufferedBody is the most of a body read inside the round trip.
// Everything regprune reads is JSON well under this; a longer body is
// passed on, its remainder still bounded by the idle timeout.
const maxBufferedBody = maxJSONBytes + 1

// idleBodies reads every response body inside the round trip, under the
// retry layer, with a deadline that restarts with each read: a body that
// stalls halfway fails the attempt, and the retry layer tries again as it
// does for a dropped connection. Without it only the wait for headers had
// a timeout, and a stalled tags/list body hung the job.
type idleBodies struct {
	next http.RoundTripper
	idle time.Duration
}

func (t idleBodies) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel(nil)
		return nil, err
	}
	r := &idleReader{body: resp.Body, idle: t.idle, cancel: cancel}
	buf, err := io.ReadAll(io.LimitReader(r, maxBufferedBody))
	if err != nil {
		resp.Body.Close()
		cancel(nil)
		return nil, fmt.Errorf("reading the answer to %s %s: %w", req.Method, req.URL.Redacted(), err)
	}
	if len(buf) < maxBufferedBody {
		resp.Body.Close()
		cancel(nil)
		resp.Body = io.NopCloser(bytes.NewReader(buf))
		return resp, nil
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(buf), r), closeFunc(func() error { defer cancel(nil); return r.body.Close() })}
	return resp, nil
}

type closeFunc func() error

func (f closeFunc) Close() error { return f() }

// idleReader fails a Read that waits longer than idle for data.
type idleReader struct {
	body   io.ReadCloser
	idle   time.Duration
	cancel context.CancelCauseFunc
}

func (r *idleReader) Read(p []byte) (int, error) {
	timer := time.AfterFunc(r.idle, func() { r.cancel(ErrBodyStalled) })
	n, err := r.body.Read(p)
	if !timer.Stop() && err != nil && err != io.EOF {
		return n, fmt.Errorf("%w: nothing received for %s", ErrBodyStalled, r.idle)
	}
	return n, err
}
