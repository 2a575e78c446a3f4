package report

import "errors"

var (
	// ErrUnknownFormat is returned for a format name other than text,
	// json, markdown or md.
	ErrUnknownFormat = errors.New("unknown report format")
)
