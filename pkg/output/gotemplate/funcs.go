package gotemplate

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// function is a template function with the parameter types of its Go signature in
// text/template or kubectl, which decide argument counts and conversions.
type function struct {
	in       []param
	variadic bool
	rest     param
	call     func(args []value) (value, error)
}

var functions = map[string]*function{
	"and":      {in: []param{paramValue}, variadic: true, rest: paramValue},
	"or":       {in: []param{paramValue}, variadic: true, rest: paramValue},
	"call":     {in: []param{paramValue}, variadic: true, rest: paramValue, call: call},
	"html":     {variadic: true, rest: paramAny, call: escaper(htmlEscapeString)},
	"js":       {variadic: true, rest: paramAny, call: escaper(jsEscapeString)},
	"urlquery": {variadic: true, rest: paramAny, call: escaper(url.QueryEscape)},
	"index":    {in: []param{paramValue}, variadic: true, rest: paramValue, call: index},
	"slice":    {in: []param{paramValue}, variadic: true, rest: paramValue, call: slice},
	"len":      {in: []param{paramValue}, call: length},
	"not":      {in: []param{paramValue}, call: func(a []value) (value, error) { return concrete(!truth(a[0])), nil }},
	"print":    {variadic: true, rest: paramAny, call: func(a []value) (value, error) { return concrete(fmt.Sprint(contents(a)...)), nil }},
	"println":  {variadic: true, rest: paramAny, call: func(a []value) (value, error) { return concrete(fmt.Sprintln(contents(a)...)), nil }},
	"printf": {in: []param{paramString}, variadic: true, rest: paramAny, call: func(a []value) (value, error) {
		return concrete(fmt.Sprintf(a[0].x.(string), contents(a[1:])...)), nil
	}},
	"eq": {in: []param{paramValue}, variadic: true, rest: paramValue, call: func(a []value) (value, error) {
		b, err := eq(a[0], a[1:]...)
		return concrete(b), err
	}},
	"ne": comparison(ne),
	"lt": comparison(lt),
	"le": comparison(le),
	"gt": comparison(gt),
	"ge": comparison(ge),

	// kubectl's additions to the go-template printer.
	"exists":       {in: []param{paramAny}, variadic: true, rest: paramAny, call: exists},
	"base64decode": {in: []param{paramString}, call: base64decode},
}

func contents(args []value) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = content(a)
	}
	return out
}

func comparison(cmp func(a, b value) (bool, error)) *function {
	return &function{in: []param{paramValue, paramValue}, call: func(a []value) (value, error) {
		b, err := cmp(a[0], a[1])
		return concrete(b), err
	}}
}

// indexArg is an index of a string or array within 0..cap, as text/template checks it.
func indexArg(index value, cap int) (int, error) {
	var x int64
	switch basicKind(index) {
	case intKind:
		x = intOf(index.x)
	case uintKind:
		x = int64(uintOf(index.x))
	default:
		if !index.valid {
			return 0, errors.New("cannot index slice/array with nil")
		}
		return 0, fmt.Errorf("cannot index slice/array with type %s", index.typeName())
	}
	if x < 0 || int(x) < 0 || int(x) > cap {
		return 0, fmt.Errorf("index out of range: %d", x)
	}
	return int(x), nil
}

func index(args []value) (value, error) {
	item := indirectInterface(args[0])
	if !item.valid {
		return zero, errors.New("index of untyped nil")
	}
	for _, ix := range args[1:] {
		ix = indirectInterface(ix)
		var isNil bool
		if item, isNil = indirect(item); isNil {
			return zero, errors.New("index of nil pointer")
		}
		switch x := item.x.(type) {
		case []any:
			i, err := indexArg(ix, len(x))
			if err != nil {
				return zero, err
			}
			// text/template lets an index equal to the length through to reflect, which panics.
			if i == len(x) {
				return zero, errors.New("reflect: slice index out of range")
			}
			item = slot(x[i])
		case string:
			i, err := indexArg(ix, len(x))
			if err != nil {
				return zero, err
			}
			if i == len(x) {
				return zero, errors.New("reflect: string index out of range")
			}
			item = concrete(x[i])
		case map[string]any:
			var key string
			switch k := ix.x.(type) {
			case string:
				key = k
			default:
				if !ix.valid {
					return zero, errors.New("value is nil; should be of type string")
				}
				return zero, fmt.Errorf("value has type %s; should be string", ix.typeName())
			}
			item = slot(x[key])
		default:
			return zero, fmt.Errorf("can't index item of type %s", item.typeName())
		}
	}
	return item, nil
}

func slice(args []value) (value, error) {
	item := indirectInterface(args[0])
	if !item.valid {
		return zero, errors.New("slice of untyped nil")
	}
	indexes := args[1:]
	if len(indexes) > 3 {
		return zero, fmt.Errorf("too many slice indexes: %d", len(indexes))
	}
	var length, capacity int
	switch x := item.x.(type) {
	case string:
		if len(indexes) == 3 {
			return zero, errors.New("cannot 3-index slice a string")
		}
		length, capacity = len(x), len(x)
	case []any:
		length, capacity = len(x), cap(x)
	default:
		return zero, fmt.Errorf("can't slice item of type %s", item.typeName())
	}
	idx := [3]int{0, length}
	for i, index := range indexes {
		x, err := indexArg(index, capacity)
		if err != nil {
			return zero, err
		}
		idx[i] = x
	}
	if idx[0] > idx[1] {
		return zero, fmt.Errorf("invalid slice index: %d > %d", idx[0], idx[1])
	}
	if len(indexes) < 3 {
		if str, ok := item.x.(string); ok {
			return concrete(str[idx[0]:idx[1]]), nil
		}
		return concrete(item.x.([]any)[idx[0]:idx[1]]), nil
	}
	if idx[1] > idx[2] {
		return zero, fmt.Errorf("invalid slice index: %d > %d", idx[1], idx[2])
	}
	return concrete(item.x.([]any)[idx[0]:idx[1]:idx[2]]), nil
}

func length(args []value) (value, error) {
	item, isNil := indirect(args[0])
	if isNil {
		return zero, errors.New("len of nil pointer")
	}
	if !item.valid {
		// text/template asks reflect for the type of the missing value, which panics.
		return zero, errors.New("reflect: call of reflect.Value.Type on zero Value")
	}
	switch x := item.x.(type) {
	case map[string]any:
		return concrete(len(x)), nil
	case []any:
		return concrete(len(x)), nil
	case string:
		return concrete(len(x)), nil
	}
	return zero, fmt.Errorf("len of type %s", item.typeName())
}

// call can only fail: nothing in JSON data is a function.
func call(args []value) (value, error) {
	name := args[0].x.(string)
	fn := indirectInterface(args[1])
	if !fn.valid {
		return zero, errors.New("call of nil")
	}
	return zero, fmt.Errorf("non-function %s of type %s", name, fn.typeName())
}

var (
	errBadComparisonType = errors.New("invalid type for comparison")
	errNoComparison      = errors.New("missing argument for comparison")
)

func eq(arg1 value, arg2 ...value) (bool, error) {
	arg1 = indirectInterface(arg1)
	if len(arg2) == 0 {
		return false, errNoComparison
	}
	k1 := basicKind(arg1)
	for _, arg := range arg2 {
		arg = indirectInterface(arg)
		k2 := basicKind(arg)
		truth := false
		if k1 != k2 {
			switch {
			case k1 == intKind && k2 == uintKind:
				truth = intOf(arg1.x) >= 0 && uint64(intOf(arg1.x)) == uintOf(arg.x)
			case k1 == uintKind && k2 == intKind:
				truth = intOf(arg.x) >= 0 && uintOf(arg1.x) == uint64(intOf(arg.x))
			default:
				if arg1.valid && arg.valid {
					return false, fmt.Errorf("incompatible types for comparison: %v and %v", arg1.typeName(), arg.typeName())
				}
			}
		} else {
			switch k1 {
			case boolKind:
				truth = arg1.x.(bool) == arg.x.(bool)
			case complexKind:
				truth = complexOf(arg1.x) == complexOf(arg.x)
			case floatKind:
				truth = floatOf(arg1.x) == floatOf(arg.x)
			case intKind:
				truth = intOf(arg1.x) == intOf(arg.x)
			case stringKind:
				truth = arg1.x.(string) == arg.x.(string)
			case uintKind:
				truth = uintOf(arg1.x) == uintOf(arg.x)
			default:
				if !sameKind(arg1, arg) && arg1.valid && arg.valid {
					return false, fmt.Errorf("non-comparable types %s: %v, %s: %v", arg1.x, arg1.typeName(), arg.typeName(), arg.x)
				}
				if isNil(arg1) || isNil(arg) {
					truth = isNil(arg) == isNil(arg1)
				} else {
					// Objects and arrays are the only values left, and Go cannot compare them.
					return false, fmt.Errorf("non-comparable type %s: %v", arg.x, arg.typeName())
				}
			}
		}
		if truth {
			return true, nil
		}
	}
	return false, nil
}

func ne(arg1, arg2 value) (bool, error) {
	equal, err := eq(arg1, arg2)
	return !equal, err
}

func lt(arg1, arg2 value) (bool, error) {
	arg1 = indirectInterface(arg1)
	k1 := basicKind(arg1)
	if k1 == invalidKind {
		return false, errBadComparisonType
	}
	arg2 = indirectInterface(arg2)
	k2 := basicKind(arg2)
	if k2 == invalidKind {
		return false, errBadComparisonType
	}
	truth := false
	if k1 != k2 {
		switch {
		case k1 == intKind && k2 == uintKind:
			truth = intOf(arg1.x) < 0 || uint64(intOf(arg1.x)) < uintOf(arg2.x)
		case k1 == uintKind && k2 == intKind:
			truth = intOf(arg2.x) >= 0 && uintOf(arg1.x) < uint64(intOf(arg2.x))
		default:
			return false, fmt.Errorf("incompatible types for comparison: %v and %v", arg1.typeName(), arg2.typeName())
		}
	} else {
		switch k1 {
		case boolKind, complexKind:
			return false, errBadComparisonType
		case floatKind:
			truth = floatOf(arg1.x) < floatOf(arg2.x)
		case intKind:
			truth = intOf(arg1.x) < intOf(arg2.x)
		case stringKind:
			truth = arg1.x.(string) < arg2.x.(string)
		case uintKind:
			truth = uintOf(arg1.x) < uintOf(arg2.x)
		}
	}
	return truth, nil
}

func le(arg1, arg2 value) (bool, error) {
	lessThan, err := lt(arg1, arg2)
	if lessThan || err != nil {
		return lessThan, err
	}
	return eq(arg1, arg2)
}

func gt(arg1, arg2 value) (bool, error) {
	lessOrEqual, err := le(arg1, arg2)
	if err != nil {
		return false, err
	}
	return !lessOrEqual, nil
}

func ge(arg1, arg2 value) (bool, error) {
	lessThan, err := lt(arg1, arg2)
	if err != nil {
		return false, err
	}
	return !lessThan, nil
}

// escaper prints its arguments as text/template's html, js and urlquery do before escaping:
// a missing value reads "<no value>" rather than fmt's "<nil>".
func escaper(escape func(string) string) func([]value) (value, error) {
	return func(args []value) (value, error) {
		if len(args) == 1 {
			if s, ok := args[0].x.(string); ok {
				return concrete(escape(s)), nil
			}
		}
		xs := contents(args)
		for i, x := range xs {
			if x == nil {
				xs[i] = "<no value>"
			}
		}
		return concrete(escape(fmt.Sprint(xs...))), nil
	}
}

func htmlEscapeString(s string) string {
	if !strings.ContainsAny(s, "'\"&<>\000") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\000':
			b.WriteString("\uFFFD")
		case '"':
			b.WriteString("&#34;")
		case '\'':
			b.WriteString("&#39;")
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func jsIsSpecial(r rune) bool {
	switch r {
	case '\\', '\'', '"', '<', '>', '&', '=':
		return true
	}
	return r < ' ' || utf8.RuneSelf <= r
}

func jsEscapeString(s string) string {
	if strings.IndexFunc(s, jsIsSpecial) < 0 {
		return s
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !jsIsSpecial(rune(c)) {
			b.WriteByte(c)
			continue
		}
		if c < utf8.RuneSelf {
			switch c {
			case '\\':
				b.WriteString(`\\`)
			case '\'':
				b.WriteString(`\'`)
			case '"':
				b.WriteString(`\"`)
			case '<':
				b.WriteString(`\u003C`)
			case '>':
				b.WriteString(`\u003E`)
			case '&':
				b.WriteString(`\u0026`)
			case '=':
				b.WriteString(`\u003D`)
			default:
				b.WriteString(`\u00`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&0x0f])
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsPrint(r) {
			b.WriteString(s[i : i+size])
		} else {
			fmt.Fprintf(&b, "\\u%04X", r)
		}
		i += size - 1
	}
	return b.String()
}

// exists is kubectl's: whether index would find something that is not nil.
func exists(args []value) (value, error) {
	item := args[0].x
	// reflect sees a missing item as no value at all, but an element found by indexing as an
	// interface, which may be nil.
	missing, nilSlot := item == nil, false
	for _, ix := range args[1:] {
		if missing || nilSlot {
			return concrete(false), nil
		}
		switch x := item.(type) {
		case []any, string:
			var n int64
			switch basicKind(ix) {
			case intKind:
				n = intOf(ix.x)
			case uintKind:
				n = int64(uintOf(ix.x))
			default:
				return concrete(false), nil
			}
			if s, ok := x.(string); ok {
				if n < 0 || n >= int64(len(s)) {
					return concrete(false), nil
				}
				item = s[n]
			} else {
				a := x.([]any)
				if n < 0 || n >= int64(len(a)) {
					return concrete(false), nil
				}
				item, nilSlot = a[n], a[n] == nil
			}
		case map[string]any:
			key, ok := "", true
			if ix.x != nil {
				key, ok = ix.x.(string)
			}
			if !ok {
				return concrete(false), nil
			}
			item, nilSlot = x[key], x[key] == nil
		default:
			return concrete(false), nil
		}
	}
	return concrete(!nilSlot), nil
}

func base64decode(args []value) (value, error) {
	data, err := base64.StdEncoding.DecodeString(args[0].x.(string))
	if err != nil {
		return zero, fmt.Errorf("base64 decode failed: %v", err)
	}
	return concrete(string(data)), nil
}
