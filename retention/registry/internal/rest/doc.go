// Package retry holds the rules every retry layer of regprune follows,
// so that each header has one meaning and every wait has one cap: the
// OCI client's (go-retryablehttp under go-containerregistry) and those
// of the GitHub Packages and Docker Hub APIs read the waits a service
// asks for here (Asked), refuse the ones past their cap (Check), and
// never send a DELETE or a PUT twice (MarkOnce, Once).
//
// It depends on net/http and the core's sentinels only, so that every
// provider can import it; go-retryablehttp stays in the files that build
// a retry layer.
package rest
