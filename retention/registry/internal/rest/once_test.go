package rest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestMarkOnce: DELETE and PUT are marked to be sent once; reads are not.
func TestMarkOnce(t *testing.T) {
	for method, want := range map[string]bool{
		http.MethodDelete: true, http.MethodPut: true,
		http.MethodGet: false, http.MethodHead: false, http.MethodPost: false, http.MethodPatch: false,
	} {
		var got bool
		rt := MarkOnce(roundTripFunc(func(r *http.Request) (*http.Response, error) {
			got = Once(r.Context())
			return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
		}))
		req, _ := http.NewRequestWithContext(context.Background(), method, "http://127.0.0.1/v2/", nil)
		if _, err := rt.RoundTrip(req); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: Once = %v, want %v", method, got, want)
		}
	}
}

// TestPassthrough: the last answer goes through; a wait past the cap
// comes alone.
func TestPassthrough(t *testing.T) {
	resp := &http.Response{StatusCode: 503, Body: io.NopCloser(strings.NewReader("x"))}
	if got, err := Passthrough(resp, nil, 3); got != resp || err != nil {
		t.Errorf("Passthrough(503) = %v, %v; want the answer", got, err)
	}
	tl := &TooLongError{Host: "h", Status: 429, Asked: Asked{Wait: 3600e9, Header: RetryAfter}, Limit: MaxWait}
	if got, err := Passthrough(resp, tl, 1); got != nil || !errors.Is(err, tl) {
		t.Errorf("Passthrough(too long) = %v, %v; want no answer and the error", got, err)
	}
}
