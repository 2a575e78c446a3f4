package config

import (
	"fmt"
	"strings"
)

// expand replaces ${NAME} in s with the value of the environment variable
// NAME. Escaping follows Docker Compose: $$ is a literal $, so a password
// containing "${" is written "$${". A $ followed by anything else is kept
// as written, so most passwords with a $ need no escaping. An unset
// variable is an error (a set but empty one is not); the value is inserted
// as is and never expanded again.
//
// Errors name the variable but never quote s: it may be a password.
func expand(s string, lookup func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return "", fmt.Errorf("unterminated ${ (write $$ for a literal $)")
			}
			name := s[i+2 : i+2+end]
			if !validName(name) {
				return "", fmt.Errorf("${...} must hold a variable name of letters, digits and _ (write $$ for a literal $)")
			}
			v, ok := lookup(name)
			if !ok {
				return "", &unsetError{name: name}
			}
			b.WriteString(v)
			i += 2 + end
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// unsetError is a ${NAME} whose variable is not set.
type unsetError struct{ name string }

func (e *unsetError) Error() string { return "environment variable " + e.name + " is not set" }

// validName reports whether name is a portable environment variable name.
func validName(name string) bool {
	if name == "" || name[0] >= '0' && name[0] <= '9' {
		return false
	}
	for _, c := range []byte(name) {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
