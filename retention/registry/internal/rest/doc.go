// Package rest is the kit every provider that speaks a vendor API
// (GitHub Packages, Docker Hub) builds its HTTP side from, so that no
// provider holds a retry, a Retry-After, a pacing or a page loop of its
// own:
//
//   - NewHTTPClient: the one retry policy (go-retryablehttp), over a
//     Pacer, with its wait account (Waits); the Options say what
//     differs between services (the wait headers, what else is a rate
//     limit, the least wait, the cap, the clock);
//   - Read, Check, MaxWait: each wait header has one meaning, every wait
//     one cap; the OCI client reads them here too;
//   - MarkOnce, Once: a DELETE or a PUT is never sent twice;
//   - Pages, NextLink, NextPage: one page walker, for next URLs in a
//     body or a Link header, or page numbers;
//   - Sentinel, Error: an answer's status onto the core's sentinels;
//   - CheckBase: what an API's base URL (apiURL) must be.
//
// go-retryablehttp stays in retry.go here and in the OCI client's
// transport, which keeps its own layer under go-containerregistry.
package rest
