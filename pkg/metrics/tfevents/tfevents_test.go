package tfevents

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"testing"
	"time"
)

func TestCRC32CKnownValue(t *testing.T) {
	// The check value of CRC-32C (RFC 3720, appendix B.4).
	if got := crc32.Checksum([]byte("123456789"), castagnoli); got != 0xe3069283 {
		t.Fatalf("crc32c = %#x", got)
	}
}

func TestRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	start := time.Date(2024, 5, 1, 10, 0, 0, 500_000_000, time.UTC)
	w, err := NewWriter(&buf, start)
	if err != nil {
		t.Fatal(err)
	}
	for step := int64(1); step <= 3; step++ {
		at := start.Add(time.Duration(step) * time.Second)
		if err := w.WriteScalars(at, step, Scalar{"accuracy", 0.9 + float64(step)/100}, Scalar{"loss", 0.3 / float64(step)}); err != nil {
			t.Fatal(err)
		}
	}
	events, err := ReadAll(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 4 {
		t.Fatalf("%d events, want 4", len(events))
	}
	if events[0].FileVersion != FileVersion || len(events[0].Scalars) != 0 || !events[0].Time().Equal(start) {
		t.Errorf("first event %+v", events[0])
	}
	for i, ev := range events[1:] {
		step := int64(i + 1)
		if ev.Step != step || !ev.Time().Equal(start.Add(time.Duration(step)*time.Second)) {
			t.Errorf("event %d: step %d at %s", i+1, ev.Step, ev.Time())
		}
		want := []Scalar{{"accuracy", float64(float32(0.9 + float64(step)/100))}, {"loss", float64(float32(0.3 / float64(step)))}}
		if len(ev.Scalars) != 2 || ev.Scalars[0] != want[0] || ev.Scalars[1] != want[1] {
			t.Errorf("event %d: scalars %+v, want %+v", i+1, ev.Scalars, want)
		}
	}
}

func TestSplitLeavesIncompleteRecord(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, time.Unix(1, 0))
	first := buf.Len()
	_ = w.WriteScalars(time.Unix(2, 0), 1, Scalar{"accuracy", 0.5})
	all := buf.Bytes()
	for cut := 0; cut < len(all); cut++ {
		recs, n, err := Split(all[:cut])
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		wantRecs, wantN := 0, 0
		if cut >= first {
			wantRecs, wantN = 1, first
		}
		if len(recs) != wantRecs || n != wantN {
			t.Fatalf("cut %d: %d records, %d bytes; want %d, %d", cut, len(recs), n, wantRecs, wantN)
		}
	}
	recs, n, err := Split(all)
	if err != nil || len(recs) != 2 || n != len(all) {
		t.Fatalf("whole: %d records, %d bytes, %v", len(recs), n, err)
	}
}

func TestSplitDetectsCorruption(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, time.Unix(1, 0))
	_ = w.WriteScalars(time.Unix(2, 0), 1, Scalar{"accuracy", 0.5})
	for _, at := range []int{3, 9, 14, buf.Len() - 1} {
		b := append([]byte(nil), buf.Bytes()...)
		b[at] ^= 0x40
		if _, _, err := Split(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("flipped byte %d: err %v", at, err)
		}
	}
}

// TestDecodeOtherEncodings reads the forms other writers use: TensorFlow 1 and PyTorch's
// simple_value, TensorFlow 2's tensor_content, doubles and integers.
func TestDecodeOtherEncodings(t *testing.T) {
	value := func(tag string, body []byte) []byte {
		var v []byte
		v = appendBytes(v, 1, []byte(tag))
		return append(v, body...)
	}
	tensor := func(dtype uint64, parts ...[]byte) []byte {
		var tp []byte
		tp = appendVarint(tp, 1, dtype)
		for _, p := range parts {
			tp = append(tp, p...)
		}
		return appendBytes(nil, 8, tp)
	}
	f32 := binary.LittleEndian.AppendUint32(nil, math.Float32bits(0.25))
	f64 := binary.LittleEndian.AppendUint64(nil, math.Float64bits(0.125))
	i64 := binary.LittleEndian.AppendUint64(nil, uint64(7))
	simple := binary.LittleEndian.AppendUint32(appendTag(nil, 2, 5), math.Float32bits(0.5))
	var summary []byte
	for _, v := range [][]byte{
		value("simple", simple),
		value("content32", tensor(dtFloat, appendBytes(nil, 4, f32))),
		value("content64", tensor(dtDouble, appendBytes(nil, 4, f64))),
		value("contentint", tensor(dtInt64, appendBytes(nil, 4, i64))),
		value("doubleval", tensor(dtDouble, appendBytes(nil, 6, f64))),
		value("int64val", tensor(dtInt64, appendVarint(nil, 10, uint64(1<<64-3)))),
		value("vector", tensor(dtFloat, appendBytes(nil, 5, append(append([]byte{}, f32...), f32...)))),
		value("string", tensor(7, appendBytes(nil, 8, []byte("text")))),
	} {
		summary = appendBytes(summary, 1, v)
	}
	var ev []byte
	ev = appendDouble(ev, 1, 1700000000.25)
	ev = appendVarint(ev, 2, 42)
	ev = appendBytes(ev, 5, summary)
	got, err := Decode(ev)
	if err != nil {
		t.Fatal(err)
	}
	want := []Scalar{{"simple", 0.5}, {"content32", 0.25}, {"content64", 0.125}, {"contentint", 7}, {"doubleval", 0.125}, {"int64val", -3}}
	if got.Step != 42 || got.WallTime != 1700000000.25 || len(got.Scalars) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got.Scalars[i] != want[i] {
			t.Errorf("scalar %d: %+v, want %+v", i, got.Scalars[i], want[i])
		}
	}
}

func TestFileName(t *testing.T) {
	got := FileName(time.Unix(1700000000, 0), "trial-abc", 7)
	if got != "events.out.tfevents.1700000000.trial-abc.7.v2" || !IsEventFile(got) {
		t.Errorf("FileName = %q", got)
	}
}
