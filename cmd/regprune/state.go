package main

import (
	"errors"
	"time"

	"github.com/regprune/regprune/retention/state"
)

// stateWait is how long a run waits for another to release the state
// directory (a variable for the tests that shorten it).
var stateWait = state.DefaultWait

// resolveStateDir names the run's state directory (state.Resolve: the
// flag, REGPRUNE_STATE_DIR, stateDir, the default) and refuses a named
// one that cannot be used: bad usage, before any registry is contacted.
func (s *session) resolveStateDir() error {
	d, err := state.Resolve(s.f.stateDir, s.e.getenv, s.cfg.StateDir)
	var bad *state.UnusableError
	if errors.As(err, &bad) {
		return usageError("%v; nothing was contacted", err)
	}
	if err != nil {
		return err
	}
	s.stateDir = d
	return nil
}

// openState opens the run's state directory, or nil: state.OpenFor says
// why the run goes on without state.
func (s *session) openState() *state.Store {
	return state.OpenFor(s.stateDir,
		state.WithWait(stateWait),
		state.WithCacheExpiry(time.Duration(s.cfg.CacheExpiry)),
		state.WithRunRetention(time.Duration(s.cfg.StateRetention)),
		state.WithLogger(s.log))
}
