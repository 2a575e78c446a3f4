package main

import (
	"crypto/rand"
	"encoding/hex"
	"os"
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
	if d, _ := s.namedStateDir(); d != "" {
		return d
	}
	if c := s.e.getenv("XDG_CACHE_HOME"); c != "" {
		return filepath.Join(c, "regprune", "state")
	}
	if h := s.e.getenv("HOME"); h != "" {
		return filepath.Join(h, ".cache", "regprune", "state")
	}
	return ""
}

// namedStateDir is the state directory the user named, and where:
// --state-dir, REGPRUNE_STATE_DIR or stateDir; "" for the default.
func (s *session) namedStateDir() (dir, from string) {
	for _, d := range []struct{ dir, from string }{
		{s.f.stateDir, "--state-dir"}, {s.e.getenv(envStateDir), envStateDir}, {s.cfg.StateDir, "stateDir"},
	} {
		if d.dir != "" {
			return d.dir, d.from
		}
	}
	return "", ""
}

// checkStateDir refuses, before any registry is contacted, a state
// directory the user named that is not a directory, cannot be created or
// cannot be written: a run that was asked to keep its state and cannot
// would delete what no restore can bring back. The default location is
// not checked here: it only gives a warning (openState).
func (s *session) checkStateDir() error {
	dir, from := s.namedStateDir()
	if dir == "" {
		return nil
	}
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return usageError("%s %s: not a directory; nothing was contacted", from, dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return usageError("%s %s: the state directory cannot be created (%v); nothing was contacted", from, dir, err)
	}
	fh, err := os.CreateTemp(dir, ".regprune-check-*")
	if err != nil {
		return usageError("%s %s: the state directory cannot be written (%v); nothing was contacted", from, dir, err)
	}
	fh.Close()
	return os.Remove(fh.Name())
}

// withoutState is what a run without its state directory loses.
const withoutState = "this run cannot be restored (regprune restore) or resumed (an interrupted apply is not finished by the next one)"

// openState opens the state directory, or says once why the run goes on
// without state: a state problem in the default location, or a state
// directory another run holds, never fails a run (a named one that is
// unusable was refused by checkStateDir).
func (s *session) openState() *state.Store {
	dir := s.stateDir()
	if dir == "" {
		s.log.Warn("no state directory (set --state-dir, " + envStateDir + " or HOME): going on without state: " + withoutState)
		return nil
	}
	store, note, err := state.Open(dir, stateWait)
	if note != "" {
		s.log.Warn(note)
	}
	if err != nil {
		s.log.Warn("the state directory cannot be used: going on without state: "+withoutState, "dir", dir, "error", err)
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
