package retention

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"0", 0}, {"24h", 24 * time.Hour}, {"30d", 30 * 24 * time.Hour}, {"2w", 14 * 24 * time.Hour},
		{"1w3d12h", (10*24 + 12) * time.Hour}, {"1.5d", 36 * time.Hour}, {"90m", 90 * time.Minute}, {" 10s ", 10 * time.Second},
	} {
		got, err := parseDuration(tc.in)
		if err != nil || time.Duration(got) != tc.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", tc.in, time.Duration(got), err, tc.want)
		}
	}
	for _, bad := range []string{"", "-1h", "30", "d", "1.5.5h", "3x", "100000000w"} {
		if _, err := parseDuration(bad); err == nil {
			t.Errorf("parseDuration(%q) succeeded", bad)
		}
	}
	if s := Duration(30 * 24 * time.Hour).String(); s != "30d" {
		t.Errorf("30 days print as %q, want 30d", s)
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"24h", "30d", "1w3d12h", "-1h", "1e9w", "0.000001s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDuration(s)
		if err == nil && d < 0 {
			t.Errorf("parseDuration(%q) = %v, negative", s, time.Duration(d))
		}
	})
}
