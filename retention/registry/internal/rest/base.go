package rest

import (
	"fmt"
	"net/url"
)

// CheckBase refuses what cannot be an API's base URL, as a registries
// entry's apiURL gives it: anything but an http(s) URL with a host.
func CheckBase(base string) error {
	if u, err := url.Parse(base); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", base)
	}
	return nil
}
