package docker

import (
	"time"

	"github.com/regprune/regprune/retention/manifest"
)

// Clock labels in TagDecision.Clock. clockArrived and clockCreated are
// also the values of a local.docker policy's clock, as the configuration
// writes them and the core checks them (it fills in arrived, the
// default, where the policy names none).
const (
	clockArrived       = "arrived"
	clockCreated       = "created"
	clockNeverTagged   = "created (never tagged locally)"
	clockDanglingLabel = "created (dangling)"
)

// clockTime returns the time a policy with the given clock ranks img by,
// and which time that is. arrived is the engine's LastTagTime: a local
// tag and (on current engines) a pull set it, a load does not, so an
// image without one falls back to its creation time, as the label says.
// An implausible time (before 2000, reproducible builds) is unknown, and
// unknown is not old.
func clockTime(img *image, clock string, now time.Time) (time.Time, string) {
	t, label := img.Created, clockCreated
	if clock != clockCreated {
		if !img.LastTagTime.IsZero() {
			t, label = img.LastTagTime, clockArrived
		} else {
			label = clockNeverTagged
		}
	}
	if !manifest.Plausible(t, now) {
		return time.Time{}, label
	}
	return t, label
}
