package emulator

import "net/http"

// StatusRecorder keeps the status a handler wrote, for request logs.
type StatusRecorder struct {
	http.ResponseWriter
	Status int
}

// WriteHeader records code and writes it.
func (s *StatusRecorder) WriteHeader(code int) {
	s.Status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the writer underneath.
func (s *StatusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// ErrorCode is the OCI distribution error code that fits status.
func ErrorCode(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return "TOOMANYREQUESTS"
	case http.StatusUnauthorized:
		return "UNAUTHORIZED"
	case http.StatusForbidden:
		return "DENIED"
	case http.StatusNotFound:
		return "MANIFEST_UNKNOWN"
	case http.StatusMethodNotAllowed:
		return "UNSUPPORTED"
	case http.StatusServiceUnavailable:
		return "UNAVAILABLE"
	default:
		return "UNKNOWN"
	}
}
