package registry

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Sentinel errors. Errors returned by the Client wrap one of these where
// the cause is known, and keep the registry's *transport.Error (with its
// status code and error codes such as DENIED or UNSUPPORTED) reachable
// through errors.As.
var (
	// ErrNotFound: the manifest, tag or digest does not exist.
	ErrNotFound = errors.New("not found")
	// ErrRepositoryNotFound: the registry answered NAME_UNKNOWN.
	ErrRepositoryNotFound = errors.New("repository does not exist")
	// ErrDenied: 401 or 403, or the codes UNAUTHORIZED or DENIED: the
	// credentials are missing, wrong, or lack the scope.
	ErrDenied = errors.New("access denied (check the credentials and their scope)")
	// ErrUnreachable: the registry could not be connected to.
	ErrUnreachable = errors.New("registry unreachable")
	// ErrUnsupported: 405 or the code UNSUPPORTED, typically a registry
	// that refuses DELETE over the OCI API.
	ErrUnsupported = errors.New("operation not supported by the registry")
	// ErrTruncated: a listing looked incomplete or inconsistent. Nothing
	// may be deleted on the strength of it.
	ErrTruncated = errors.New("listing looks truncated or inconsistent")
	// ErrRateLimited: the registry asked to wait longer than the client
	// is willing to sleep (WithRetry's maxRetryAfter), or still answered
	// 429 (TOOMANYREQUESTS) when the retries ran out.
	ErrRateLimited = errors.New("rate limited by the registry")
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
