package main

import (
	"crypto/rand"
	"encoding/hex"
	"path/filepath"
	"time"

	"github.com/regprune/regprune/retention/state"
)

// envStateDir names the state directory, under --state-dir and over the
// configuration's stateDir.
const envStateDir = "REGPRUNE_STATE_DIR"

// stateWait is how long a run waits for another to release the state
// directory before it goes on without state.
var stateWait = 30 * time.Second

// stateDir is the state directory of the run: the flag, the variable,
// the configuration, else regprune/state under the user cache directory
// (XDG_CACHE_HOME, else HOME/.cache); "" when none can be named.
func (s *session) stateDir() string {
	for _, d := range []string{s.f.stateDir, s.e.getenv(envStateDir), s.cfg.StateDir} {
		if d != "" {
			return d
		}
	}
	if c := s.e.getenv("XDG_CACHE_HOME"); c != "" {
		return filepath.Join(c, "regprune", "state")
	}
	if h := s.e.getenv("HOME"); h != "" {
		return filepath.Join(h, ".cache", "regprune", "state")
	}
	return ""
}

// openState opens the state directory, or says once why the run goes on
// without state: a state problem never fails a run.
func (s *session) openState() *state.Store {
	dir := s.stateDir()
	if dir == "" {
		s.log.Warn("no state directory (set --state-dir, " + envStateDir + " or HOME): an interrupted apply cannot be finished by the next one")
		return nil
	}
	store, note, err := state.Open(dir, stateWait)
	if note != "" {
		s.log.Warn(note)
	}
	if err != nil {
		s.log.Warn("the state directory cannot be used: going on without state (an interrupted apply cannot be finished by the next one)", "dir", dir, "error", err)
		return nil
	}
	if n, err := store.Expire(time.Duration(s.cfg.CacheExpiry)); err != nil {
		s.log.Warn("could not drop old entries of the state directory's cache", "error", err)
	} else if n > 0 {
		s.log.Info("dropped cached manifests not seen for a while", "entries", n)
	}
	if n, err := store.ExpireRuns(time.Duration(s.cfg.StateRetention)); err != nil {
		s.log.Warn("could not drop old runs of the state directory", "error", err)
	} else if n > 0 {
		s.log.Info("dropped recorded runs older than stateRetention: they can no longer be restored", "runs", n)
	}
	return store
}

// newRunID names an apply: its start time and a random suffix, so that
// two runs started in one second differ.
func newRunID(now time.Time) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}
