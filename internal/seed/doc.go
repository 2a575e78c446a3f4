// Package seed builds small, realistic images, indexes, signatures and
// referrers with go-containerregistry and pushes them, so that the demo
// command and tests can describe a repository's history in a table
// (History) instead of running docker builds.
//
// Every image has one layer of random bytes, so no two share a digest
// unless a test shares one on purpose (IndexOf, KindAlias).
package seed
