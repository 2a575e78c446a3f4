package registrytest

import (
	"testing"

	"github.com/regprune/regprune/internal/emulator"
)

// The GHCR and Docker Hub emulators live in internal/emulator, which
// does not import testing, so that regprune demo can link them; these
// names keep the tests' spelling, and NewGHCR and NewHub stop the
// emulator when the test ends.
type (
	GHCR          = emulator.GHCR
	GHCROption    = emulator.GHCROption
	GHCRFault     = emulator.GHCRFault
	GHCRRequest   = emulator.GHCRRequest
	GHCRTokenKind = emulator.GHCRTokenKind
	GHCRVersion   = emulator.GHCRVersion
	Hub           = emulator.Hub
	HubOption     = emulator.HubOption
	HubFault      = emulator.HubFault
	HubRequest    = emulator.HubRequest
	HubTag        = emulator.HubTag
)

// The tokens a GHCR emulator accepts.
const (
	TokenClassic     = emulator.TokenClassic
	TokenFineGrained = emulator.TokenFineGrained
	TokenActions     = emulator.TokenActions
)

// The emulators' options.
var (
	StartGHCR          = emulator.StartGHCR
	WithGHCRClock      = emulator.WithGHCRClock
	WithGHCROrg        = emulator.WithGHCROrg
	WithGHCRPacing     = emulator.WithGHCRPacing
	WithGHCRToken      = emulator.WithGHCRToken
	WithGHCRUser       = emulator.WithGHCRUser
	StartHub           = emulator.StartHub
	WithHubAccount     = emulator.WithHubAccount
	WithHubClock       = emulator.WithHubClock
	WithHubLegacyLogin = emulator.WithHubLegacyLogin
	WithHubPlan        = emulator.WithHubPlan
	WithHubPullLimit   = emulator.WithHubPullLimit
	WithHubTokenTTL    = emulator.WithHubTokenTTL
)

// NewGHCR starts a GHCR emulator that stops when t ends.
func NewGHCR(t testing.TB, opts ...GHCROption) *GHCR {
	t.Helper()
	g := emulator.StartGHCR(opts...)
	t.Cleanup(g.Close)
	return g
}

// NewHub starts a Docker Hub emulator that stops when t ends.
func NewHub(t testing.TB, opts ...HubOption) *Hub {
	t.Helper()
	h := emulator.StartHub(opts...)
	t.Cleanup(h.Close)
	return h
}
