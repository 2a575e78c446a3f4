package rest

import (
	"fmt"
	"net/http"

	"github.com/regprune/regprune/retention"
)

// Sentinel is the core sentinel an HTTP status of a vendor API means:
// 401 and 403 ErrDenied, 404 ErrNotFound, 405 ErrUnsupported, 429
// ErrRateLimited; nil for the rest.
func Sentinel(status int) error {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return retention.ErrDenied
	case http.StatusNotFound:
		return retention.ErrNotFound
	case http.StatusMethodNotAllowed:
		return retention.ErrUnsupported
	case http.StatusTooManyRequests:
		return retention.ErrRateLimited
	}
	return nil
}

// Error is a vendor API's answer that is not a success. It wraps the
// sentinel its status means (Sentinel), or Kind where the provider knows
// better (a 404 of a list is a missing repository).
type Error struct {
	// API names the service ("the Docker Hub API").
	API    string
	Status int
	URL    string
	Kind   error
}

func (e *Error) kind() error {
	if e.Kind != nil {
		return e.Kind
	}
	return Sentinel(e.Status)
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("%s answered %d to %s", e.API, e.Status, e.URL)
	if k := e.kind(); k != nil {
		return k.Error() + ": " + msg
	}
	return msg
}

func (e *Error) Unwrap() error { return e.kind() }
