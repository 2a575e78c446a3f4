package layout

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// DefaultGracePeriod protects blobs written in the last ten minutes:
// pulls and builds write their blobs before index.json names them, and a
// writer that does not take the lock must not lose them mid-write.
const DefaultGracePeriod = 10 * time.Minute

// Option configures Plan and Apply. An option that fails makes the
// cache's plan carry the error.
type Option func(*options) error

type options struct {
	logger *slog.Logger
	grace  time.Duration
	clock  func() time.Time
	// beforeRename runs after the new index.json is written and synced to
	// its temporary file and before it replaces the old one; tests use it
	// to simulate a crash there.
	beforeRename func(tmp string) error
}

func newOptions(opts []Option) (*options, error) {
	o := &options{
		logger: slog.New(slog.DiscardHandler),
		grace:  DefaultGracePeriod,
		clock:  time.Now,
	}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// WithLogger sets where Plan and Apply log. Default: nowhere. Keys are
// stable: repository, tag, digest, reason.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("layout.WithLogger: nil logger")
		}
		o.logger = l
		return nil
	}
}

// WithGracePeriod sets how recently a blob may have been modified and
// still be swept: blobs modified within d are kept even when nothing
// reaches them. Default DefaultGracePeriod; 0 sweeps every unreachable
// blob; negative is an error.
func WithGracePeriod(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return fmt.Errorf("configuring grace period: %s is negative", d)
		}
		o.grace = d
		return nil
	}
}

// WithClock sets the wall clock that blob modification times are compared
// with. Default time.Now. The grace period counts back from the earlier of
// this clock and the now given to Plan or Apply, so a plan evaluated "in
// the future" never sweeps a blob that is fresh on the real clock.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return fmt.Errorf("configuring clock: nil")
		}
		o.clock = now
		return nil
	}
}

// cutoff is the modification time after which a blob is never swept.
func (o *options) cutoff(now time.Time) time.Time {
	t := o.clock()
	if now.Before(t) {
		t = now
	}
	return t.Add(-o.grace)
}
