package docker

import (
	"errors"
	"log/slog"
)

// Option configures Connect, Plan and Apply.
type Option func(*options) error

type options struct {
	log *slog.Logger
}

func newOptions(opts []Option) (*options, error) {
	o := &options{log: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// WithLogger sends the backend's log records to l. The default discards
// them: the library is silent and the binary decides where logs go.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("docker.WithLogger: nil logger")
		}
		o.log = l
		return nil
	}
}
