package gotemplate

import "fmt"

// value is what text/template holds in a reflect.Value, reduced to what JSON data can give.
//
// The distinction that matters is iface: an element of a JSON object or array is read from
// an interface{} slot, and text/template keeps it as such inside a field chain, a range or an
// argument. There a JSON null is a nil interface (an error to walk through, "interface {}" in
// messages) rather than the missing value that a pipeline turns it into.
type value struct {
	x       any
	valid   bool
	iface   bool
	missing bool // no value came in from the previous command of the pipeline
}

var (
	zero       value
	missingVal = value{valid: true, missing: true}
)

func concrete(x any) value { return value{x: x, valid: true} }

func slot(x any) value { return value{x: x, valid: true, iface: true} }

// typeName is how reflect names the type of v.
func (v value) typeName() string {
	if v.iface {
		return "interface {}"
	}
	return fmt.Sprintf("%T", v.x)
}

// String is reflect.Value.String: the string itself, or the type between angle brackets.
func (v value) String() string {
	if !v.valid {
		return "<invalid Value>"
	}
	if s, ok := v.x.(string); ok && !v.iface {
		return s
	}
	return "<" + v.typeName() + " Value>"
}

// indirectInterface drops the interface around a slot; a nil one is no value at all.
func indirectInterface(v value) value {
	if !v.iface {
		return v
	}
	if v.x == nil {
		return zero
	}
	return concrete(v.x)
}

// indirect is indirectInterface that reports a nil interface instead of dropping it.
func indirect(v value) (value, bool) {
	if v.iface {
		if v.x == nil {
			return v, true
		}
		return concrete(v.x), false
	}
	return v, false
}

// content is what a function parameter of type interface{} receives.
func content(v value) any {
	if !v.valid {
		return nil
	}
	return v.x
}

type kind int

const (
	invalidKind kind = iota
	boolKind
	complexKind
	intKind
	floatKind
	stringKind
	uintKind
)

// basicKind classifies a value that is not in an interface slot for comparison and indexing.
func basicKind(v value) kind {
	if !v.valid || v.iface {
		return invalidKind
	}
	switch v.x.(type) {
	case bool:
		return boolKind
	case int, int8, int16, int32, int64:
		return intKind
	case uint, uint8, uint16, uint32, uint64, uintptr:
		return uintKind
	case float32, float64:
		return floatKind
	case complex64, complex128:
		return complexKind
	case string:
		return stringKind
	}
	return invalidKind
}

func intOf(x any) int64 {
	switch n := x.(type) {
	case int:
		return int64(n)
	case int8:
		return int64(n)
	case int16:
		return int64(n)
	case int32:
		return int64(n)
	case int64:
		return n
	}
	panic("not an int")
}

func uintOf(x any) uint64 {
	switch n := x.(type) {
	case uint:
		return uint64(n)
	case uint8:
		return uint64(n)
	case uint16:
		return uint64(n)
	case uint32:
		return uint64(n)
	case uint64:
		return n
	case uintptr:
		return uint64(n)
	}
	panic("not a uint")
}

func floatOf(x any) float64 {
	switch n := x.(type) {
	case float32:
		return float64(n)
	case float64:
		return n
	}
	panic("not a float")
}

func complexOf(x any) complex128 {
	switch n := x.(type) {
	case complex64:
		return complex128(n)
	case complex128:
		return n
	}
	panic("not a complex")
}

// isTrue is text/template's truth: not the zero value of its type; ok is false for values
// that have no truth, which JSON cannot produce.
func isTrue(v value) (truth, ok bool) {
	if !v.valid {
		return false, true
	}
	switch x := v.x.(type) {
	case map[string]any:
		return len(x) > 0, true
	case []any:
		return len(x) > 0, true
	case string:
		return len(x) > 0, true
	case nil:
		return false, true
	}
	switch basicKind(v) {
	case boolKind:
		return v.x.(bool), true
	case intKind:
		return intOf(v.x) != 0, true
	case uintKind:
		return uintOf(v.x) != 0, true
	case floatKind:
		return floatOf(v.x) != 0, true
	case complexKind:
		return complexOf(v.x) != 0, true
	}
	return false, false
}

func truth(v value) bool {
	t, _ := isTrue(indirectInterface(v))
	return t
}

// isNil is text/template's isNil for the kinds JSON has.
func isNil(v value) bool {
	if !v.valid {
		return true
	}
	switch x := v.x.(type) {
	case nil:
		return v.iface
	case map[string]any:
		return x == nil
	case []any:
		return x == nil
	}
	return false
}

// sameKind is reflect's Kind equality for non-basic values.
func sameKind(a, b value) bool {
	if !a.valid || !b.valid {
		return !a.valid && !b.valid
	}
	if a.iface || b.iface {
		return a.iface && b.iface
	}
	switch a.x.(type) {
	case map[string]any:
		_, ok := b.x.(map[string]any)
		return ok
	case []any:
		_, ok := b.x.([]any)
		return ok
	}
	return fmt.Sprintf("%T", a.x) == fmt.Sprintf("%T", b.x)
}
