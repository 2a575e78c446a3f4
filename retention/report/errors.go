package report

import "errors"

var (
	// ErrUnknownFormat is returned for a format name other than text,
	// json, markdown or md.
	ErrUnknownFormat = errors.New("unknown report format")

	// ErrSchemaVersion is returned by ReadPlan for a document whose
	// schemaVersion is not retention.SchemaVersion.
	ErrSchemaVersion = errors.New("unsupported plan schema version")
	// ErrInvalidPlan is returned by ReadPlan for a document that decodes
	// but cannot be executed safely (bad mode, digest or kind).
	ErrInvalidPlan = errors.New("invalid plan")
)
