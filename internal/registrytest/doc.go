// Package registrytest starts registries for tests, as net/http/httptest
// starts HTTP servers: the real CNCF Distribution registry as a
// subprocess (StartDistribution), go-containerregistry's in-memory
// registry (InMemory), and a counting, fault-injecting reverse proxy to
// put in front of either (NewProxy).
//
// Distribution is the faithful one: it deletes tags, sends Link headers
// when paginating tags and refuses deletes when configured to. The
// in-memory registry is faster and has the referrers API, but leaves tags
// listed after a delete by digest and never paginates.
package registrytest
