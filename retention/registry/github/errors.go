package github

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	gh "github.com/google/go-github/v93/github"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/registry/internal/rest"
)

// waitHeaders are the headers GitHub says its waits in, in the order its
// documentation reads them: retry-after, else x-ratelimit-reset when
// x-ratelimit-remaining is 0.
var waitHeaders = []string{rest.RetryAfter, rest.RateLimitReset}

// limitAnswer reports whether a 403 is a rate limit (retry-after, or
// x-ratelimit-remaining: 0, or the secondary limit's message, which may
// come without headers): the REST kit then waits and retries it as a
// 429. Other 403s are answers.
func limitAnswer(resp *http.Response) bool {
	return resp.StatusCode == http.StatusForbidden &&
		(resp.Header.Get(rest.RetryAfter) != "" || resp.Header.Get("X-RateLimit-Remaining") == "0" || saysRateLimit(resp))
}

// saysRateLimit reports whether a 403's body is a rate-limit message,
// leaving the body to be read again.
func saysRateLimit(resp *http.Response) bool {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return bytes.Contains(b, []byte("rate limit"))
}

// rateLimited reports whether err is GitHub's answer that a limit was
// hit: the primary (x-ratelimit-remaining: 0) or the secondary limit, or
// any 429. A DELETE answered so is not retried (rest.MarkOnce), and
// must not read as a refusal of the token.
func rateLimited(err error) bool {
	var rl *gh.RateLimitError
	var ab *gh.AbuseRateLimitError
	var er *gh.ErrorResponse
	return errors.As(err, &rl) || errors.As(err, &ab) || errors.As(err, &er) && er.Response != nil && rest.Sentinel(er.Response.StatusCode) == retention.ErrRateLimited
}

func asErrorResponse(err error, er **gh.ErrorResponse) bool {
	if errors.As(err, er) {
		return true
	}
	// Rate-limit errors carry the response too.
	var rl *gh.RateLimitError
	if errors.As(err, &rl) {
		*er = &gh.ErrorResponse{Response: rl.Response, Message: rl.Message}
		return true
	}
	var ab *gh.AbuseRateLimitError
	if errors.As(err, &ab) {
		*er = &gh.ErrorResponse{Response: ab.Response, Message: ab.Message}
		return true
	}
	return false
}

// explain turns GitHub's answers into errors that say what to do: the
// REST kit's sentinel for the status (rest.Sentinel), in GitHub's words
// where it has its own (token kinds). A 403 that is neither a rate limit
// nor a token GitHub refuses is left to the caller, who knows what was
// refused.
func explain(err error) error {
	if rateLimited(err) {
		return fmt.Errorf("%w: %w", retention.ErrRateLimited, err)
	}
	var er *gh.ErrorResponse
	if !asErrorResponse(err, &er) {
		return err
	}
	switch s := er.Response.StatusCode; s {
	case http.StatusUnauthorized:
		return fmt.Errorf("%w: the token is invalid or expired (%v)", rest.Sentinel(s), err)
	case http.StatusForbidden:
		if strings.Contains(er.Message, "personal access token") {
			return fmt.Errorf("%w: GitHub refuses fine-grained personal access tokens on every package endpoint; use a classic PAT with read:packages and delete:packages (%v)", rest.Sentinel(s), err)
		}
	case http.StatusNotFound:
		return fmt.Errorf("%w (%v)", rest.Sentinel(s), err)
	}
	return err
}
