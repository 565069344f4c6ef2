// Package tfevents writes and reads TensorFlow event files (the events.out.tfevents.* files
// TensorBoard and Katib's TensorFlowEvent collector read) without TensorFlow: the record
// framing and the few protobuf fields scalar summaries use are encoded by hand.
//
// A file is a sequence of records: the data's length as a little-endian uint64, the masked
// CRC32C of those 8 bytes, the data (one serialized tensorflow.Event), and the masked CRC32C
// of the data. The first event of a file carries only file_version "brain.Event:2".
package tfevents

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"strings"
	"time"
)

// FileVersion is what the first event of every file declares.
const FileVersion = "brain.Event:2"

// FilePrefix starts the name of every event file; readers look for files whose name holds it.
const FilePrefix = "events.out.tfevents."

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// maskedCRC is TFRecord's checksum: the CRC is rotated and offset so that a CRC of data that
// itself holds CRCs does not degenerate.
func maskedCRC(b []byte) uint32 {
	c := crc32.Checksum(b, castagnoli)
	return ((c >> 15) | (c << 17)) + 0xa282ead8
}

// FileName is a name in TensorFlow's pattern, events.out.tfevents.<seconds>.<host>.<pid>.v2,
// so that tools sorting event files by name see them in the order they were started.
func FileName(t time.Time, host string, pid int) string {
	return fmt.Sprintf("%s%d.%s.%d.v2", FilePrefix, t.Unix(), host, pid)
}

// IsEventFile tells event files from the other files of a log directory.
func IsEventFile(name string) bool { return strings.Contains(name, FilePrefix) }

// Scalar is one named value of a summary.
type Scalar struct {
	Tag   string
	Value float64
}

// Event is what the reader gets out of one record: its time, step and scalar values.
type Event struct {
	WallTime float64
	Step     int64
	// FileVersion is set on a file's first event only.
	FileVersion string
	Scalars     []Scalar
}

// Time is WallTime as a time.
func (e Event) Time() time.Time {
	sec, frac := math.Modf(e.WallTime)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

// Writer appends events to an event file. Each event is written with a single Write call,
// so a reader following the file sees whole records as soon as the writer returns.
type Writer struct {
	w io.Writer
}

// NewWriter starts an event file on w with its file_version event.
func NewWriter(w io.Writer, now time.Time) (*Writer, error) {
	ew := &Writer{w: w}
	var ev []byte
	ev = appendDouble(ev, 1, unixSeconds(now))
	ev = appendBytes(ev, 3, []byte(FileVersion))
	return ew, ew.writeRecord(ev)
}

// WriteScalars writes one event holding the scalars, in the form TensorFlow 2's
// tf.summary.scalar writes them (a float32 scalar tensor tagged with the "scalars" plugin),
// which is what Katib's TensorFlowEvent collector reads.
func (w *Writer) WriteScalars(t time.Time, step int64, scalars ...Scalar) error {
	var summary []byte
	for _, s := range scalars {
		var tensor []byte
		tensor = appendVarint(tensor, 1, 1)  // dtype: DT_FLOAT
		tensor = appendBytes(tensor, 2, nil) // tensor_shape: a scalar
		var f [4]byte
		binary.LittleEndian.PutUint32(f[:], math.Float32bits(float32(s.Value)))
		tensor = appendBytes(tensor, 5, f[:]) // float_val, packed
		var plugin []byte
		plugin = appendBytes(plugin, 1, []byte("scalars")) // PluginData.plugin_name
		var meta []byte
		meta = appendBytes(meta, 1, plugin) // SummaryMetadata.plugin_data
		meta = appendVarint(meta, 4, 1)     // data_class: DATA_CLASS_SCALAR
		var value []byte
		value = appendBytes(value, 1, []byte(s.Tag))
		value = appendBytes(value, 8, tensor)
		value = appendBytes(value, 9, meta)
		summary = appendBytes(summary, 1, value)
	}
	var ev []byte
	ev = appendDouble(ev, 1, unixSeconds(t))
	ev = appendVarint(ev, 2, uint64(step))
	ev = appendBytes(ev, 5, summary)
	return w.writeRecord(ev)
}

func (w *Writer) writeRecord(data []byte) error {
	rec := make([]byte, 0, 16+len(data))
	rec = binary.LittleEndian.AppendUint64(rec, uint64(len(data)))
	rec = binary.LittleEndian.AppendUint32(rec, maskedCRC(rec[:8]))
	rec = append(rec, data...)
	rec = binary.LittleEndian.AppendUint32(rec, maskedCRC(data))
	_, err := w.w.Write(rec)
	return err
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func appendTag(b []byte, field int, wire int) []byte {
	return binary.AppendUvarint(b, uint64(field)<<3|uint64(wire))
}

func appendVarint(b []byte, field int, v uint64) []byte {
	return binary.AppendUvarint(appendTag(b, field, 0), v)
}

func appendDouble(b []byte, field int, v float64) []byte {
	return binary.LittleEndian.AppendUint64(appendTag(b, field, 1), math.Float64bits(v))
}

func appendBytes(b []byte, field int, v []byte) []byte {
	b = binary.AppendUvarint(appendTag(b, field, 2), uint64(len(v)))
	return append(b, v...)
}

// ErrCorrupt is a record whose checksum does not match: the file was damaged or is not an
// event file.
var ErrCorrupt = errors.New("corrupt event record")

// maxRecord bounds the length a record header may claim, so that garbage read as a header
// cannot make a follower wait for gigabytes that will never come.
const maxRecord = 256 << 20

// Split returns the data of the whole records at the start of buf and how many bytes they
// take; an incomplete record at the end is left for when more of the file has been written.
func Split(buf []byte) (records [][]byte, consumed int, err error) {
	for {
		rest := buf[consumed:]
		if len(rest) < 12 {
			return records, consumed, nil
		}
		if binary.LittleEndian.Uint32(rest[8:12]) != maskedCRC(rest[:8]) {
			return records, consumed, fmt.Errorf("%w: bad length checksum at byte %d", ErrCorrupt, consumed)
		}
		n := binary.LittleEndian.Uint64(rest[:8])
		if n > maxRecord {
			return records, consumed, fmt.Errorf("%w: record of %d bytes at byte %d", ErrCorrupt, n, consumed)
		}
		total := 12 + int(n) + 4
		if len(rest) < total {
			return records, consumed, nil
		}
		data := rest[12 : 12+int(n)]
		if binary.LittleEndian.Uint32(rest[12+int(n):total]) != maskedCRC(data) {
			return records, consumed, fmt.Errorf("%w: bad data checksum at byte %d", ErrCorrupt, consumed)
		}
		records = append(records, data)
		consumed += total
	}
}

// ReadAll decodes every event of a complete file.
func ReadAll(r io.Reader) ([]Event, error) {
	buf, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	recs, n, err := Split(buf)
	if err != nil {
		return nil, err
	}
	if n != len(buf) {
		return nil, fmt.Errorf("%w: the file ends inside a record", ErrCorrupt)
	}
	out := make([]Event, 0, len(recs))
	for _, rec := range recs {
		ev, err := Decode(rec)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}
