package main

import (
	"bytes"
	"io"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLinesArriveUnchangedAndInOrder(t *testing.T) {
	tricky := "a \"quoted\" 'value' with \\back\\slashes, $HOME, ${x} and\na newline"
	c, err := parse([]string{"--print", "accuracy=0.5", "--print=loss=1.25", "--interval", "10ms", "--sleep=1s", "--linger=2s", "--exit", "3", "--", tricky, "--not-a-flag"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	var slept []time.Duration
	if err := emit(c, &out, func(d time.Duration) { slept = append(slept, d) }); err != nil {
		t.Fatal(err)
	}
	want := "accuracy=0.5\nloss=1.25\n" + tricky + "\n--not-a-flag\n"
	if out.String() != want {
		t.Fatalf("output %q, want %q", out.String(), want)
	}
	if wantSleeps := []time.Duration{time.Second, 10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond, 2 * time.Second}; !reflect.DeepEqual(slept, wantSleeps) {
		t.Fatalf("slept %v, want %v", slept, wantSleeps)
	}
	if c.exit != 3 {
		t.Fatalf("exit %d, want 3", c.exit)
	}
}

func TestNoLinesNoSleepPrintsNothing(t *testing.T) {
	c, err := parse(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := emit(c, &out, func(time.Duration) { t.Fatal("slept without being asked") }); err != nil || out.Len() != 0 {
		t.Fatalf("err %v, output %q", err, out.String())
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--sleep", "soon"},
		{"--sleep=-1s"},
		{"--interval=-5ms"},
		{"--exit", "256"},
		{"--exit", "-1"},
		{"--unknown"},
	} {
		if _, err := parse(args, io.Discard); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}

func TestSeriesGoesLinearlyFromStartToEndInFlagOrder(t *testing.T) {
	c, err := parse([]string{"--print", "begin", "--series", "accuracy=0.1:0.9:5", "--series=loss=2:2:1",
		"--series", "accuracy=0.3333333:0.7:2", "--interval=1s", "--", "end"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	var slept []time.Duration
	if err := emit(c, &out, func(d time.Duration) { slept = append(slept, d) }); err != nil {
		t.Fatal(err)
	}
	want := "begin\naccuracy=0.1\naccuracy=0.3\naccuracy=0.5\naccuracy=0.7\naccuracy=0.9\nloss=2\naccuracy=0.333333\naccuracy=0.7\nend\n"
	if out.String() != want {
		t.Fatalf("output %q, want %q", out.String(), want)
	}
	if len(slept) != 9 {
		t.Fatalf("slept %d times between 10 lines, want 9", len(slept))
	}
}

// A test derives a trial's min, max and latest from the series' parameters, so the printed
// texts must be exactly the rounded values, ends included, whatever the step's float error.
func TestSeriesValuesAreExactSixDecimalTexts(t *testing.T) {
	for _, tc := range []struct {
		spec  string
		lines []string
	}{
		{"a=0.05:0.917361:4", []string{"a=0.05", "a=0.33912", "a=0.628241", "a=0.917361"}},
		{"a=0.1:0.7364183948:3", []string{"a=0.1", "a=0.418209", "a=0.736418"}},
		{"a=1:0:3", []string{"a=1", "a=0.5", "a=0"}},
		{"a=-0.0000001:0:2", []string{"a=0", "a=0"}},
		{"a=5:-3.5:1", []string{"a=-3.5"}},
		{"a=0:1e-7:1", []string{"a=0"}},
		{"a=10:20:3", []string{"a=10", "a=15", "a=20"}},
	} {
		s, err := parseSeries(tc.spec)
		if err != nil {
			t.Fatalf("%s: %v", tc.spec, err)
		}
		var got []string
		for i := 0; i < s.count; i++ {
			got = append(got, s.line(i))
		}
		if !reflect.DeepEqual(got, tc.lines) {
			t.Errorf("%s: %q, want %q", tc.spec, got, tc.lines)
		}
	}
}

func TestLongSeriesIsRisingAndEndsAtEnd(t *testing.T) {
	c, err := parse([]string{"--series", "accuracy=0.01:0.987654:10000"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := emit(c, &out, func(time.Duration) {}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 10000 || lines[0] != "accuracy=0.01" || lines[9999] != "accuracy=0.987654" {
		t.Fatalf("%d lines, first %q, last %q", len(lines), lines[0], lines[len(lines)-1])
	}
	prev := -1.0
	for i, l := range lines {
		v, err := strconv.ParseFloat(strings.TrimPrefix(l, "accuracy="), 64)
		if err != nil || v < prev {
			t.Fatalf("line %d %q does not continue the rise from %v (%v)", i, l, prev, err)
		}
		prev = v
	}
}

func TestBadSeries(t *testing.T) {
	for _, v := range []string{"", "accuracy", "=0:1:2", "a=0:1", "a=0:1:2:3", "a=x:1:2", "a=0:NaN:2", "a=0:Inf:2",
		"a=0:1:0", "a=0:1:-1", "a=0:1:1.5", "a=0:1:10000001", "a b=0:1:2"} {
		if _, err := parse([]string{"--series", v}, io.Discard); err == nil {
			t.Errorf("--series %q: accepted", v)
		}
	}
}

func TestUsageNamesSeries(t *testing.T) {
	var help bytes.Buffer
	if _, err := parse([]string{"--help"}, &help); err == nil {
		t.Fatal("--help did not stop parsing")
	}
	for _, want := range []string{"-series NAME=START:END:COUNT", "-interval", "rounded to 6 decimals"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("usage lacks %q:\n%s", want, help.String())
		}
	}
}

func TestFailOnce(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "failed")
	c, err := parse([]string{"--exit", "3", "--fail-once", marker, "x"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for run, want := range []int{3, 0, 0} {
		got, err := c.exitCode()
		if err != nil || got != want {
			t.Fatalf("run %d: exit %d, %v; want %d", run+1, got, err, want)
		}
	}
	c.failOnce = filepath.Join(marker, "not-a-dir", "m")
	if _, err := c.exitCode(); err == nil {
		t.Fatal("a marker that cannot be made is no error")
	}
}
