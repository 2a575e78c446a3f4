package state

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"
)

// DefaultWait is how long a run waits for another to release the state
// directory before it goes on without state: long enough for another
// run's expiry and compaction, short enough not to stall a scheduled one.
const DefaultWait = 30 * time.Second

// WithoutState is what a run without its state directory loses.
const WithoutState = "this run cannot be restored (regprune restore) or resumed (an interrupted apply is not finished by the next one)"

// Option shapes OpenFor.
type Option func(*options)

type options struct {
	wait, cacheExpiry, runRetention time.Duration
	log                             *slog.Logger
}

// WithWait waits up to d for another run to release the directory.
// Default: DefaultWait.
func WithWait(d time.Duration) Option { return func(o *options) { o.wait = d } }

// WithCacheExpiry drops cached manifests not seen for d (the
// configuration's cacheExpiry). Default (0): DefaultCacheExpiry.
func WithCacheExpiry(d time.Duration) Option { return func(o *options) { o.cacheExpiry = d } }

// WithRunRetention drops recorded runs whose last deletion is older than
// d (the configuration's stateRetention). Default (0):
// DefaultRunRetention.
func WithRunRetention(d time.Duration) Option { return func(o *options) { o.runRetention = d } }

// WithLogger says on l why a run goes on without state, and what expiry
// dropped. Default: no logs.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// OpenFor opens the state directory d for a run and drops what has
// expired (cached manifests, then recorded runs), or says once, as a
// warning, why the run goes on without state and returns nil: no
// directory could be named, the database cannot be used, or another run
// holds it past the wait. State is an aid, never a condition; a
// directory the user named and that cannot be used was refused by
// Resolve already.
func OpenFor(d Dir, opts ...Option) *Store {
	o := options{wait: DefaultWait, log: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt(&o)
	}
	if d.Path == "" {
		o.log.Warn("no state directory (set " + FromFlag + ", " + EnvDir + " or HOME): going on without state: " + WithoutState)
		return nil
	}
	store, note, err := Open(d.Path, o.wait)
	if note != "" {
		o.log.Warn(note)
	}
	if err != nil {
		o.log.Warn("the state directory cannot be used: going on without state: "+WithoutState, "dir", d.Path, "error", err)
		return nil
	}
	if n, err := store.Expire(o.cacheExpiry); err != nil {
		o.log.Warn("could not drop old entries of the state directory's cache", "error", err)
	} else if n > 0 {
		o.log.Info("dropped cached manifests not seen for a while", "entries", n)
	}
	if n, err := store.ExpireRuns(o.runRetention); err != nil {
		o.log.Warn("could not drop old runs of the state directory", "error", err)
	} else if n > 0 {
		o.log.Info("dropped recorded runs older than stateRetention: they can no longer be restored", "runs", n)
	}
	return store
}

// NewRunID names an apply, for RecordDeletion and `regprune restore
// --run`: its start time (UTC, to the second) and a random suffix, so
// that two runs started in one second differ.
func NewRunID(now time.Time) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}
