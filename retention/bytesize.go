package retention

import (
	"fmt"
	"strconv"
	"strings"
)

// ByteSize is a number of bytes, written as a whole number of bytes or
// with a unit: KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB
// (powers of 1024), as in 10GiB or 512MB.
type ByteSize int64

var byteUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40},
	{"B", 1},
}

// parseByteSize parses a size such as 10GiB, 1.5GB or 4096.
func parseByteSize(s string) (ByteSize, error) {
	in := strings.TrimSpace(s)
	mult := int64(1)
	num := in
	for _, u := range byteUnits {
		if strings.HasSuffix(strings.ToUpper(in), strings.ToUpper(u.suffix)) && (u.suffix != "B" || len(in) > 1) {
			// KB and KiB differ only in case-insensitive "i": match the
			// longest suffix first (the table is ordered that way).
			if len(u.suffix) == 3 && !strings.EqualFold(in[len(in)-3:], u.suffix) {
				continue
			}
			mult = u.mult
			num = strings.TrimSpace(in[:len(in)-len(u.suffix)])
			break
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || num == "" {
		return 0, fmt.Errorf("invalid size %q: want a number of bytes or a size such as 512MB or 10GiB", s)
	}
	if f < 0 {
		return 0, fmt.Errorf("size %q is negative", s)
	}
	v := f * float64(mult)
	if v > float64(1<<62) {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return ByteSize(v), nil
}

// UnmarshalText lets configuration decoders read a ByteSize.
func (b *ByteSize) UnmarshalText(text []byte) error {
	v, err := parseByteSize(string(text))
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// MarshalText writes the size as String does.
func (b ByteSize) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// String formats the size with a binary unit, as in 1.5GiB.
func (b ByteSize) String() string {
	v := float64(b)
	for _, u := range []struct {
		s string
		m float64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if v >= u.m {
			return strings.TrimSuffix(strconv.FormatFloat(v/u.m, 'f', 1, 64), ".0") + u.s
		}
	}
	return strconv.FormatInt(int64(b), 10) + "B"
}
