package tfevents

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// TensorFlow's DataType values a scalar metric can have.
const (
	dtFloat  = 1
	dtDouble = 2
	dtInt32  = 3
	dtInt64  = 9
)

var errTruncated = errors.New("truncated protobuf field")

// field is one protobuf field: its number, wire type and value (varint or fixed value in
// num, length-delimited content in data).
type field struct {
	num   int
	wire  int
	num64 uint64
	data  []byte
}

// fields walks a protobuf message, calling fn for each field.
func fields(b []byte, fn func(f field) error) error {
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return errTruncated
		}
		b = b[n:]
		f := field{num: int(key >> 3), wire: int(key & 7)}
		switch f.wire {
		case 0:
			v, n := binary.Uvarint(b)
			if n <= 0 {
				return errTruncated
			}
			f.num64, b = v, b[n:]
		case 1:
			if len(b) < 8 {
				return errTruncated
			}
			f.num64, b = binary.LittleEndian.Uint64(b), b[8:]
		case 2:
			l, n := binary.Uvarint(b)
			if n <= 0 || uint64(len(b)-n) < l {
				return errTruncated
			}
			f.data, b = b[n:n+int(l)], b[n+int(l):]
		case 5:
			if len(b) < 4 {
				return errTruncated
			}
			f.num64, b = uint64(binary.LittleEndian.Uint32(b)), b[4:]
		default:
			return fmt.Errorf("unsupported protobuf wire type %d", f.wire)
		}
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

// Decode reads one event record's data. Values that are not numeric scalars (histograms,
// images, text) are skipped.
func Decode(b []byte) (Event, error) {
	var ev Event
	err := fields(b, func(f field) error {
		switch {
		case f.num == 1 && f.wire == 1:
			ev.WallTime = math.Float64frombits(f.num64)
		case f.num == 2 && f.wire == 0:
			ev.Step = int64(f.num64)
		case f.num == 3 && f.wire == 2:
			ev.FileVersion = string(f.data)
		case f.num == 5 && f.wire == 2:
			return fields(f.data, func(v field) error {
				if v.num != 1 || v.wire != 2 {
					return nil
				}
				s, ok, err := decodeValue(v.data)
				if err == nil && ok {
					ev.Scalars = append(ev.Scalars, s)
				}
				return err
			})
		}
		return nil
	})
	if err != nil {
		return Event{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return ev, nil
}

// decodeValue reads a Summary.Value: simple_value (TensorFlow 1, PyTorch's SummaryWriter) or
// a one-element numeric tensor (TensorFlow 2).
func decodeValue(b []byte) (Scalar, bool, error) {
	var s Scalar
	ok := false
	err := fields(b, func(f field) error {
		switch {
		case f.num == 1 && f.wire == 2:
			s.Tag = string(f.data)
		case f.num == 2 && f.wire == 5:
			s.Value, ok = float64(math.Float32frombits(uint32(f.num64))), true
		case f.num == 8 && f.wire == 2:
			v, isScalar, err := decodeTensor(f.data)
			if err != nil {
				return err
			}
			if isScalar {
				s.Value, ok = v, true
			}
		}
		return nil
	})
	return s, ok, err
}

// decodeTensor reads a TensorProto holding one number, from tensor_content or from the
// typed value lists.
func decodeTensor(b []byte) (float64, bool, error) {
	var dtype uint64
	var content []byte
	var vals []float64
	err := fields(b, func(f field) error {
		switch f.num {
		case 1:
			dtype = f.num64
		case 4:
			content = f.data
		case 5: // float_val
			if f.wire == 5 {
				vals = append(vals, float64(math.Float32frombits(uint32(f.num64))))
			} else {
				for d := f.data; len(d) >= 4; d = d[4:] {
					vals = append(vals, float64(math.Float32frombits(binary.LittleEndian.Uint32(d))))
				}
			}
		case 6: // double_val
			if f.wire == 1 {
				vals = append(vals, math.Float64frombits(f.num64))
			} else {
				for d := f.data; len(d) >= 8; d = d[8:] {
					vals = append(vals, math.Float64frombits(binary.LittleEndian.Uint64(d)))
				}
			}
		case 7, 10: // int_val, int64_val
			if f.wire == 0 {
				vals = append(vals, float64(int64(f.num64)))
			} else {
				for d := f.data; len(d) > 0; {
					v, n := binary.Uvarint(d)
					if n <= 0 {
						return errTruncated
					}
					vals = append(vals, float64(int64(v)))
					d = d[n:]
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, false, err
	}
	if content != nil {
		switch {
		case dtype == dtFloat && len(content) == 4:
			return float64(math.Float32frombits(binary.LittleEndian.Uint32(content))), true, nil
		case dtype == dtDouble && len(content) == 8:
			return math.Float64frombits(binary.LittleEndian.Uint64(content)), true, nil
		case dtype == dtInt32 && len(content) == 4:
			return float64(int32(binary.LittleEndian.Uint32(content))), true, nil
		case dtype == dtInt64 && len(content) == 8:
			return float64(int64(binary.LittleEndian.Uint64(content))), true, nil
		}
		return 0, false, nil
	}
	if len(vals) != 1 {
		return 0, false, nil
	}
	return vals[0], true, nil
}
