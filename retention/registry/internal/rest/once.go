package rest

import (
	"context"
	"errors"
	"net/http"
)

// onceKey marks the context of a request that a retry layer must send
// at most once.
type onceKey struct{}

// MarkOnce wraps a retry layer: every DELETE and PUT that passes through
// it is marked, so that the layer's retry policy, which sees only the
// request's context and the outcome, can tell it (Once). Such a request
// changes what the registry holds (a PUT moves a tag, as GHCR's
// placeholder does) and was checked by the executor right before it
// was sent: a retry after a wait could carry it out of that check's
// window. Its error (a 429, a 5xx, a dropped connection) goes back to
// the caller instead, whose check decides again.
func MarkOnce(next http.RoundTripper) http.RoundTripper { return onceMarker{next} }

type onceMarker struct{ next http.RoundTripper }

func (m onceMarker) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodDelete || req.Method == http.MethodPut {
		req = req.WithContext(context.WithValue(req.Context(), onceKey{}, true))
	}
	return m.next.RoundTrip(req)
}

// Once reports whether the request of ctx went through MarkOnce as a
// DELETE or a PUT: a retry policy must not send it again.
func Once(ctx context.Context) bool {
	b, _ := ctx.Value(onceKey{}).(bool)
	return b
}

// Passthrough is the retry layers' error handler (go-retryablehttp's
// ErrorHandler): the last answer of a failed series goes to the caller
// unchanged, so the service's own message is read, not "giving up after
// 5 attempts". A *TooLongError comes alone, its response closed:
// net/http drops (and logs) a response that comes with an error.
func Passthrough(resp *http.Response, err error, _ int) (*http.Response, error) {
	var tl *TooLongError
	if errors.As(err, &tl) {
		if resp != nil {
			resp.Body.Close()
		}
		return nil, err
	}
	return resp, err
}
