// Package gotemplate runs kubectl's -o go-template over an object decoded from JSON, with the
// same output and the same errors as text/template, but without text/template's executor.
//
// The executor finds methods by name at run time (reflect.Value.MethodByName), and when that
// call is reachable the linker must keep every exported method of every type that may end up
// in an interface; with client-go's API types and clients linked in that is some 20 MB. JSON
// data has no methods, so this package walks the tree from text/template/parse over the
// decoded values directly, and the linker can drop them again.
//
// Data must be what encoding JSON and decoding it with k8s.io/apimachinery/pkg/util/json gives:
// map[string]interface{}, []interface{}, string, int64, float64, bool and nil.
package gotemplate

import (
	"fmt"
	"io"
	"text/template/parse"
)

// Template is a parsed template together with the templates it defines.
type Template struct {
	name       string
	trees      map[string]*parse.Tree
	missingKey missingKeyAction
}

type missingKeyAction int

const (
	mapInvalid missingKeyAction = iota
	mapZeroValue
	mapError
)

// funcNames tells the parser which identifiers are functions: text/template's builtins plus
// the two that kubectl adds. The parser only checks that a name is present.
var funcNames = func() map[string]any {
	m := make(map[string]any, len(functions))
	for name := range functions {
		m[name] = true
	}
	return m
}()

// Parse parses text as the template called name, as kubectl's printer does with
// template.New(name).Funcs(exists, base64decode).Parse(text), errors included.
func Parse(name, text string) (*Template, error) {
	trees, err := parse.Parse(name, text, "", "", funcNames)
	if err != nil {
		return nil, err
	}
	return &Template{name: name, trees: trees}, nil
}

// Option takes text/template's options; only missingkey exists, and kubectl sets it to
// "missingkey=default" or "missingkey=error" from --allow-missing-template-keys. Like
// text/template, it panics on an option it does not know.
func (t *Template) Option(opts ...string) *Template {
	for _, opt := range opts {
		switch opt {
		case "missingkey=default", "missingkey=invalid":
			t.missingKey = mapInvalid
		case "missingkey=zero":
			t.missingKey = mapZeroValue
		case "missingkey=error":
			t.missingKey = mapError
		default:
			if opt == "" {
				panic("empty option string")
			}
			panic("unrecognized option: " + opt)
		}
	}
	return t
}

// Execute applies the template to data and writes the output to w. As with text/template,
// output written before an error stays written.
func (t *Template) Execute(w io.Writer, data any) (err error) {
	defer errRecover(&err)
	dot := zero
	if data != nil {
		dot = concrete(data)
	}
	s := &state{tmpl: t, name: t.name, tree: t.trees[t.name], wr: w, vars: []variable{{"$", dot}}}
	if s.tree == nil || s.tree.Root == nil {
		s.errorf("%q is an incomplete or empty template", t.name)
	}
	s.walk(dot, s.tree.Root)
	return nil
}

// execError carries an execution error up the stack to Execute.
type execError struct{ err error }

// writeError carries an error of the writer up the stack to Execute, which returns it as is.
type writeError struct{ err error }

func errRecover(errp *error) {
	switch e := recover().(type) {
	case nil:
	case execError:
		*errp = e.err
	case writeError:
		*errp = e.err
	default:
		panic(e)
	}
}

// doublePercent keeps a template name or node text from being read as a format verb.
func doublePercent(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			out = append(out, '%')
		}
		out = append(out, s[i])
	}
	return string(out)
}

func (s *state) errorf(format string, args ...any) {
	name := doublePercent(s.name)
	if s.node == nil {
		format = fmt.Sprintf("template: %s: %s", name, format)
	} else {
		location, context := s.tree.ErrorContext(s.node)
		format = fmt.Sprintf("template: %s: executing %q at <%s>: %s", location, name, doublePercent(context), format)
	}
	panic(execError{fmt.Errorf(format, args...)})
}
