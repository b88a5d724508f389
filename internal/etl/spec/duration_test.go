package spec

import (
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	f := func(in string, want time.Duration) {
		t.Helper()
		got, err := ParseDuration(in)
		if err != nil {
			t.Fatalf("ParseDuration(%q): %v", in, err)
		}
		if got.Std() != want {
			t.Fatalf("ParseDuration(%q) = %v, want %v", in, got.Std(), want)
		}
		back, err := ParseDuration(got.String())
		if err != nil || back != got {
			t.Fatalf("ParseDuration(%q).String() = %q does not parse back: %v, %v", in, got, back, err)
		}
	}
	f("0", 0)
	f("0s", 0)
	f("30s", 30*time.Second)
	f("5m", 5*time.Minute)
	f("1h", time.Hour)
	f("1h30m", 90*time.Minute)
	f("1d", 24*time.Hour)
	f("1w", 7*24*time.Hour)
	f("1y", 365*24*time.Hour)
	f("1w2d3h4m5s6ms", 9*24*time.Hour+3*time.Hour+4*time.Minute+5*time.Second+6*time.Millisecond)
	f("250ms", 250*time.Millisecond)
	f("90m", 90*time.Minute)
}

func TestParseDurationErrors(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		_, err := ParseDuration(in)
		if err == nil || err.Error() != want {
			t.Fatalf("ParseDuration(%q) error = %v, want %q", in, err, want)
		}
	}
	f("", `empty duration`)
	f("30", `duration "30": missing unit (use y, w, d, h, m, s or ms)`)
	f("5x", `duration "5x": unknown unit "x" (use y, w, d, h, m, s or ms)`)
	f("1m1h", `duration "1m1h": unit "h" out of order (write larger units first, each once)`)
	f("1h1h", `duration "1h1h": unit "h" out of order (write larger units first, each once)`)
	f("-5m", `duration "-5m": expected a number at "-5m"`)
	f("1.5h", `duration "1.5h": unknown unit "." (use y, w, d, h, m, s or ms)`)
	f("300y", `duration "300y": too large`)
	f("99999999999999999999s", `duration "99999999999999999999s": number too large`)
	f("h", `duration "h": expected a number at "h"`)
}

func TestDurationString(t *testing.T) {
	f := func(d time.Duration, want string) {
		t.Helper()
		if got := Duration(d).String(); got != want {
			t.Fatalf("Duration(%v).String() = %q, want %q", d, got, want)
		}
	}
	f(0, "0s")
	f(90*time.Minute, "1h30m")
	f(8*24*time.Hour, "1w1d")
	f(1500*time.Millisecond, "1s500ms")
	f(time.Microsecond, "0s")
	f(-time.Minute, "-1m")
}

func TestParseByteSize(t *testing.T) {
	f := func(in string, want int64, str string) {
		t.Helper()
		got, err := ParseByteSize(in)
		if err != nil {
			t.Fatalf("ParseByteSize(%q): %v", in, err)
		}
		if int64(got) != want || got.String() != str {
			t.Fatalf("ParseByteSize(%q) = %d (%s), want %d (%s)", in, got, got, want, str)
		}
	}
	f("0", 0, "0")
	f("1000", 1000, "1000")
	f("1000B", 1000, "1000")
	f("1024", 1024, "1KiB")
	f("512KiB", 512<<10, "512KiB")
	f("256MiB", 256<<20, "256MiB")
	f("1GiB", 1<<30, "1GiB")
	f("1536MiB", 1536<<20, "1536MiB")
	f("2TiB", 2<<40, "2TiB")
}

func TestParseByteSizeErrors(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		_, err := ParseByteSize(in)
		if err == nil || err.Error() != want {
			t.Fatalf("ParseByteSize(%q) error = %v, want %q", in, err, want)
		}
	}
	f("", `size "": expected a whole number of bytes, optionally with a unit such as MiB`)
	f("MiB", `size "MiB": expected a whole number of bytes, optionally with a unit such as MiB`)
	f("256MB", `size "256MB": unknown unit "MB" (use B, KiB, MiB, GiB or TiB)`)
	f("1.5GiB", `size "1.5GiB": unknown unit ".5GiB" (use B, KiB, MiB, GiB or TiB)`)
	f("256 MiB", `size "256 MiB": unknown unit " MiB" (use B, KiB, MiB, GiB or TiB)`)
	f("9999999TiB", `size "9999999TiB": too large`)
	f(strings.Repeat("9", 20), `size "99999999999999999999": number too large`)
}
