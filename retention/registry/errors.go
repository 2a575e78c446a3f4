package registry

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/regprune/regprune/retention"
)

// Sentinel errors: the core's (retention.ErrNotFound and the rest), under
// the names this package has always had. Errors returned by the Client
// wrap one of these where the cause is known, and keep the registry's
// *transport.Error (with its status code and error codes such as DENIED
// or UNSUPPORTED) reachable through errors.As.
var (
	ErrNotFound           = retention.ErrNotFound
	ErrRepositoryNotFound = retention.ErrRepositoryNotFound
	ErrDenied             = retention.ErrDenied
	ErrUnreachable        = retention.ErrUnreachable
	ErrUnsupported        = retention.ErrUnsupported
	ErrTruncated          = retention.ErrTruncated
	ErrRateLimited        = retention.ErrRateLimited
)

// IsUnsupported reports whether err says the registry does not support
// the operation: HTTP 405 or the error code UNSUPPORTED. Registries that
// reject DELETE (Docker Hub, GHCR, Distribution without delete enabled)
// answer this way.
func IsUnsupported(err error) bool {
	if errors.Is(err, ErrUnsupported) {
		return true
	}
	var te *transport.Error
	if !errors.As(err, &te) {
		return false
	}
	return te.StatusCode == http.StatusMethodNotAllowed || hasCode(te, transport.UnsupportedErrorCode)
}

// classify adds the matching sentinel to err, keeping err itself (and any
// *transport.Error in it) in the chain. It returns err unchanged when no
// sentinel applies or one is already present.
func classify(err error) error {
	if err == nil {
		return nil
	}
	for _, s := range []error{ErrNotFound, ErrRepositoryNotFound, ErrDenied, ErrUnreachable, ErrUnsupported, ErrTruncated, ErrRateLimited} {
		if errors.Is(err, s) {
			return err
		}
	}
	if s := sentinelFor(err); s != nil {
		return fmt.Errorf("%w: %w", s, err)
	}
	return err
}

func sentinelFor(err error) error {
	var te *transport.Error
	if errors.As(err, &te) {
		switch {
		case hasCode(te, transport.NameUnknownErrorCode):
			return ErrRepositoryNotFound
		case te.StatusCode == http.StatusUnauthorized, te.StatusCode == http.StatusForbidden,
			hasCode(te, transport.DeniedErrorCode), hasCode(te, transport.UnauthorizedErrorCode):
			return ErrDenied
		case te.StatusCode == http.StatusMethodNotAllowed, hasCode(te, transport.UnsupportedErrorCode):
			return ErrUnsupported
		case te.StatusCode == http.StatusTooManyRequests, hasCode(te, transport.TooManyRequestsErrorCode):
			return ErrRateLimited
		case te.StatusCode == http.StatusNotFound:
			return ErrNotFound
		}
		return nil
	}
	var opErr *net.OpError
	var dnsErr *net.DNSError
	if errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &dnsErr) ||
		(errors.As(err, &opErr) && opErr.Op == "dial") {
		return ErrUnreachable
	}
	return nil
}

func hasCode(te *transport.Error, code transport.ErrorCode) bool {
	for _, d := range te.Errors {
		if d.Code == code {
			return true
		}
	}
	return false
}
