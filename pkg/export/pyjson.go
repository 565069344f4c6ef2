package export

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The journal is read by Python's json module and must say some things encoding/json cannot:
// NaN and ±Infinity (Python writes and reads them as bare tokens, and Optuna keeps a NaN
// intermediate value as it was reported), floats that stay floats (Python reads 3 as an int,
// which would turn a double parameter's value into an int), and fields in the order Optuna
// writes them, so an exported journal reads like one Optuna wrote. These few types write JSON
// the way Python's json.dumps does with its default settings.

// jv is a JSON value.
type jv interface{ appendTo(b []byte) []byte }

type (
	jstr   string
	jint   int64
	jfloat float64
	jbool  bool
	jnull  struct{}
	jarr   []jv
	// jobj keeps its keys in the order given.
	jobj []jfield
)

type jfield struct {
	key string
	val jv
}

func (s jstr) appendTo(b []byte) []byte { return appendPyString(b, string(s)) }
func (i jint) appendTo(b []byte) []byte { return strconv.AppendInt(b, int64(i), 10) }
func (f jfloat) appendTo(b []byte) []byte {
	return append(b, pyFloat(float64(f))...)
}
func (v jbool) appendTo(b []byte) []byte { return strconv.AppendBool(b, bool(v)) }
func (jnull) appendTo(b []byte) []byte   { return append(b, "null"...) }

func (a jarr) appendTo(b []byte) []byte {
	b = append(b, '[')
	for i, v := range a {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = v.appendTo(b)
	}
	return append(b, ']')
}

func (o jobj) appendTo(b []byte) []byte {
	b = append(b, '{')
	for i, f := range o {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = appendPyString(b, f.key)
		b = append(b, ": "...)
		b = f.val.appendTo(b)
	}
	return append(b, '}')
}

// encode is the value as one line of JSON.
func encode(v jv) string { return string(v.appendTo(nil)) }

// pyFloat formats f as Python's repr does: the shortest decimal that reads back as the same
// float64, always with a point or an exponent so that it is read back as a float, in
// scientific notation below 1e-4 and from 1e16 on, and NaN, Infinity and -Infinity as
// json.dumps writes them.
func pyFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if exp < -4 || exp >= 16 {
		// Go's shortest 'e' form is Python's: at least two exponent digits, with a sign.
		return e
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// appendPyString quotes s as json.dumps does with ensure_ascii: everything outside printable
// ASCII is escaped, so the journal is plain ASCII whatever the metric or parameter names hold.
// Invalid UTF-8 becomes U+FFFD, as Python has no way to hold it in a str.
func appendPyString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	u4 := func(b []byte, r rune) []byte {
		return append(b, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
	}
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"':
			b = append(b, '\\', '"')
		case r == '\\':
			b = append(b, '\\', '\\')
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\r':
			b = append(b, '\\', 'r')
		case r == '\t':
			b = append(b, '\\', 't')
		case r == '\b':
			b = append(b, '\\', 'b')
		case r == '\f':
			b = append(b, '\\', 'f')
		case r < 0x20 || r == 0x7f:
			b = u4(b, r)
		case r < utf8.RuneSelf:
			b = append(b, byte(r))
		case r > 0xffff:
			r -= 0x10000
			b = u4(b, 0xd800+(r>>10))
			b = u4(b, 0xdc00+(r&0x3ff))
		default:
			b = u4(b, r)
		}
	}
	return append(b, '"')
}
