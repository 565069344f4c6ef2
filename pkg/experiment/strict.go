package experiment

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// checkDocument walks a JSON document against the Experiment type and returns one line per
// unknown field or wrongly typed value, with its field path, in document order
// (object keys alphabetically).
func checkDocument(js []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return []string{err.Error()}
	}
	var problems []string
	checkValue(doc, reflect.TypeOf(Experiment{}), "", &problems)
	return problems
}

var unmarshalerType = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()

func checkValue(v any, t reflect.Type, path string, problems *[]string) {
	if v == nil {
		return // null resets a field to its zero value, as the API server accepts
	}
	// Types that decode themselves (the free-form trialSpec, times, int-or-string,
	// quantities) are judged by their own decoder in the strict pass.
	if reflect.PointerTo(t).Implements(unmarshalerType) || t.Implements(unmarshalerType) {
		return
	}
	bad := func(want string) {
		hint := ""
		if t.Kind() == reflect.String {
			if _, isNum := v.(json.Number); isNum {
				hint = fmt.Sprintf("; Katib keeps numbers in this field as strings, so quote it (\"%v\")", v)
			}
		}
		*problems = append(*problems, fmt.Sprintf("%s: must be %s, not %s%s", displayPath(path), want, jsonKind(v), hint))
	}
	switch t.Kind() {
	case reflect.Pointer:
		checkValue(v, t.Elem(), path, problems)
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			bad("an object")
			return
		}
		fields := map[string]reflect.Type{}
		collectFields(t, fields)
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if path == "" && k == "status" {
				// Status is what Katib or we report, not input: a file exported from a
				// cluster running a newer Katib may carry status fields we do not know.
				continue
			}
			ft, known := fields[k]
			if !known {
				*problems = append(*problems, join(path, k)+": unknown field; remove it or fix its spelling (field names are case-sensitive)")
				continue
			}
			checkValue(obj[k], ft, join(path, k), problems)
		}
	case reflect.Slice:
		list, ok := v.([]any)
		if !ok {
			bad("a list")
			return
		}
		for i, item := range list {
			checkValue(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), problems)
		}
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			bad("an object")
			return
		}
		for k, item := range obj {
			checkValue(item, t.Elem(), fmt.Sprintf("%s[%s]", path, k), problems)
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			bad("a string")
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			bad("true or false")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := v.(json.Number)
		if !ok {
			bad("an integer")
			return
		}
		if _, err := n.Int64(); err != nil {
			bad("an integer")
		}
	case reflect.Float32, reflect.Float64:
		if _, ok := v.(json.Number); !ok {
			bad("a number")
		}
	}
}

// collectFields maps JSON names to field types, following inline and embedded structs the
// way encoding/json does.
func collectFields(t reflect.Type, out map[string]reflect.Type) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && (name == "" || strings.Contains(opts, "inline")) {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				collectFields(ft, out)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func displayPath(path string) string {
	if path == "" {
		return "<document>"
	}
	return path
}

func jsonKind(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("the string %q", x)
	case json.Number:
		return "the number " + x.String()
	case bool:
		return fmt.Sprintf("%v", x)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
