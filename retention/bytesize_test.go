package retention

import "testing"

func TestByteSize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want ByteSize
		str  string
	}{
		{"0", 0, "0B"}, {"4096", 4096, "4KiB"}, {"10GiB", 10 << 30, "10GiB"}, {"1.5GB", 1_500_000_000, "1.4GiB"},
		{"512MB", 512_000_000, "488.3MiB"}, {"2 TiB", 2 << 40, "2TiB"}, {"100B", 100, "100B"}, {"1kib", 1024, "1KiB"},
	} {
		got, err := parseByteSize(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("parseByteSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
		if s := got.String(); s != tc.str {
			t.Errorf("%d.String() = %q, want %q", got, s, tc.str)
		}
	}
	for _, bad := range []string{"", "GB", "-1GB", "10XB", "1e300TB", "ten"} {
		if _, err := parseByteSize(bad); err == nil {
			t.Errorf("parseByteSize(%q) succeeded", bad)
		}
	}
}

func FuzzParseByteSize(f *testing.F) {
	for _, s := range []string{"10GiB", "1.5GB", "0", "-1", "1e3KB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := parseByteSize(s)
		if err == nil && b < 0 {
			t.Errorf("parseByteSize(%q) = %d, negative", s, b)
		}
	})
}
