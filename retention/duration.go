package retention

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration that also accepts days (d) and weeks (w),
// as in "30d" or "2w3d12h". A day is 24 hours.
type Duration time.Duration

// parseDuration parses Go durations plus the d and w units. Negative
// durations are refused: no setting of regprune means anything by them.
func parseDuration(s string) (Duration, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, fmt.Errorf("empty duration")
	}
	if strings.HasPrefix(in, "-") {
		return 0, fmt.Errorf("duration %q is negative", s)
	}
	if in == "0" {
		return 0, nil
	}
	var total time.Duration
	rest := in
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("invalid duration %q: want a number followed by a unit (s, m, h, d, w)", s)
		}
		j := i
		for j < len(rest) && (rest[j] < '0' || rest[j] > '9') && rest[j] != '.' {
			j++
		}
		num, unit := rest[:i], rest[i:j]
		rest = rest[j:]
		var part time.Duration
		switch unit {
		case "d", "w":
			n, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return 0, fmt.Errorf("invalid duration %q: %v", s, err)
			}
			per := 24 * time.Hour
			if unit == "w" {
				per *= 7
			}
			f := n * float64(per)
			if f > float64(maxDuration) {
				return 0, fmt.Errorf("duration %q is too long", s)
			}
			part = time.Duration(f)
		case "":
			return 0, fmt.Errorf("invalid duration %q: missing unit after %s (s, m, h, d, w)", s, num)
		default:
			if _, err := strconv.ParseFloat(num, 64); err != nil {
				return 0, fmt.Errorf("invalid duration %q: %q is not a number", s, num)
			}
			d, err := time.ParseDuration(num + unit)
			if err != nil {
				return 0, fmt.Errorf("invalid duration %q: unknown unit %q (use s, m, h, d or w)", s, unit)
			}
			part = d
		}
		if total > maxDuration-part {
			return 0, fmt.Errorf("duration %q is too long", s)
		}
		total += part
	}
	return Duration(total), nil
}

// maxDuration caps durations at about 290 years, time.Duration's range.
const maxDuration = time.Duration(1<<63 - 1)

// UnmarshalText lets configuration decoders read a Duration.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := parseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalText writes the duration in Go's notation.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// String formats whole days as "30d" and everything else as Go does.
func (d Duration) String() string {
	td := time.Duration(d)
	if td != 0 && td%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(td/(24*time.Hour)), 10) + "d"
	}
	return td.String()
}
