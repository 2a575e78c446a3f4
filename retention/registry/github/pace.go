package github

import (
	"net/http"

	"github.com/regprune/regprune/retention/registry/internal/rest"
)

// GitHub's documented secondary limits on api.github.com: at most 100
// concurrent requests, and 900 points a minute per endpoint, where a GET
// costs 1 point and a DELETE, POST, PUT or PATCH 5.
const (
	DefaultPointsPerMinute = 900
	DefaultConcurrency     = 100
)

// Pacing keeps the REST side under GitHub's secondary limits before they
// are hit (the REST kit's pacer, at cost's prices). The zero value
// paces nothing (GitHub Enterprise Server has no such limits unless its
// admin sets them).
type Pacing = rest.Pacing

// cost is the points a request spends on GitHub.
func cost(r *http.Request) int {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return 1
	}
	return 5
}
