package config

import (
	"errors"
	"strings"
)

// Error is any error in the configuration: the file is missing or
// malformed, a value is wrong, or an environment variable or override
// is. The CLI maps it to exit code 2 with errors.As.
type Error struct {
	// File is the configuration file's path; empty when the error is in
	// the environment or an override.
	File string
	// Err is the cause. Several problems found at once are joined with
	// errors.Join; each names its key.
	Err error
}

// Error prefixes every line with the file, so that each of several joined
// problems reads "regprune.yaml: line 7: policies[0].keep[1]: unknown key ...".
func (e *Error) Error() string {
	msg := e.Err.Error()
	if e.File == "" {
		return msg
	}
	lines := strings.Split(msg, "\n")
	for i, l := range lines {
		lines[i] = e.File + ": " + l
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the cause, so errors.Is(err, fs.ErrNotExist) and
// errors.As(err, new(*retention.FieldError)) see through.
func (e *Error) Unwrap() error { return e.Err }

// keyError is a problem at one key that the retention package would not
// see: an unknown key, a value of the wrong type, an unset variable.
type keyError struct {
	key string
	// at is the key path whose line the error is reported at, when it
	// is not key: an unknown key is named in its parent's message.
	at  string
	msg string
}

func (e *keyError) Error() string {
	if e.key == "" {
		return e.msg
	}
	return e.key + ": " + e.msg
}

// errs collects keyErrors in the order they are found.
type errs []error

func (es *errs) add(key, msg string) { *es = append(*es, &keyError{key: key, msg: msg}) }

func (es *errs) addAt(key, at, msg string) {
	*es = append(*es, &keyError{key: key, at: at, msg: msg})
}

func (es errs) join() error { return errors.Join(es...) }
