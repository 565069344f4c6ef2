package main

import (
	"bytes"
	"io"
	"reflect"
	"testing"
	"time"
)

func TestLinesArriveUnchangedAndInOrder(t *testing.T) {
	tricky := "a \"quoted\" 'value' with \\back\\slashes, $HOME, ${x} and\na newline"
	c, err := parse([]string{"--print", "accuracy=0.5", "--print=loss=1.25", "--interval", "10ms", "--sleep=1s", "--exit", "3", "--", tricky, "--not-a-flag"}, io.Discard)
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
	if wantSleeps := []time.Duration{time.Second, 10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond}; !reflect.DeepEqual(slept, wantSleeps) {
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
