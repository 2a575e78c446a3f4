package oci

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/registry"
)

// Sentinel errors: the core's (retention.ErrNotFound and the rest) and
// the registry package's (registry.ErrTLS, ErrUnreachable, ErrTruncated
// and ErrRepositoryNotFound), under the names this package has always had. Errors returned by the Client
// wrap one of these where the cause is known, and keep the registry's
// *transport.Error (with its status code and error codes such as DENIED
// or UNSUPPORTED) reachable through errors.As.
var (
	ErrNotFound           = retention.ErrNotFound
	ErrRepositoryNotFound = registry.ErrRepositoryNotFound
	ErrDenied             = retention.ErrDenied
	ErrUnreachable        = registry.ErrUnreachable
	ErrTLS                = registry.ErrTLS
	ErrUnsupported        = retention.ErrUnsupported
	ErrTruncated          = registry.ErrTruncated
	ErrRateLimited        = retention.ErrRateLimited
	ErrTagsRemain         = retention.ErrTagsRemain
)

// danglingTagCode is the error code of Google's registries (Container
// Registry, Artifact Registry) for a digest delete while tags remain.
const danglingTagCode transport.ErrorCode = "GOOGLE_MANIFEST_DANGLING_TAG"

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
	for _, s := range []error{ErrNotFound, ErrRepositoryNotFound, ErrDenied, ErrUnreachable, ErrTLS, ErrUnsupported, ErrTruncated, ErrRateLimited, ErrTagsRemain} {
		if errors.Is(err, s) {
			return err
		}
	}
	if hint := tlsHint(err); hint != "" {
		return fmt.Errorf("%w: %w (%s)", ErrTLS, err, hint)
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
		case hasCode(te, danglingTagCode):
			return ErrTagsRemain
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

// tlsHint says what to do about a TLS failure, or "" when err is not
// one. A certificate that cannot be verified is a TLS failure, reported
// as one, never as a missing repository or an unreachable host.
func tlsHint(err error) string {
	if errors.Is(err, http.ErrSchemeMismatch) {
		return "the registry answers plain HTTP: if it is meant to, set insecure: true for it under registries"
	}
	var (
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		record   tls.RecordHeaderError
		alert    tls.AlertError
	)
	switch {
	case errors.As(err, &verify), errors.As(err, &unknown), errors.As(err, &hostname), errors.As(err, &invalid):
		return "the certificate could not be verified: add the registry's CA to the system's trust store (or SSL_CERT_FILE), or set insecure: true for it under registries to skip verification"
	case errors.As(err, &record), errors.As(err, &alert):
		return "the TLS handshake failed"
	}
	return ""
}

func hasCode(te *transport.Error, code transport.ErrorCode) bool {
	for _, d := range te.Errors {
		if d.Code == code {
			return true
		}
	}
	return false
}
