package gotemplate

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/template/parse"
)

// The walk below follows text/template's exec.go step by step, including where it records the
// node that an error message points at, so that the messages come out the same.

// maxExecDepth stops a template that invokes itself forever, as text/template does.
const maxExecDepth = 100000

type state struct {
	tmpl  *Template
	name  string // of the template being executed, for errors
	tree  *parse.Tree
	wr    io.Writer
	node  parse.Node // current node, for errors
	vars  []variable
	depth int
}

type variable struct {
	name  string
	value value
}

func (s *state) push(name string, v value) { s.vars = append(s.vars, variable{name, v}) }

func (s *state) mark() int { return len(s.vars) }

func (s *state) pop(mark int) { s.vars = s.vars[0:mark] }

func (s *state) setVar(name string, v value) {
	for i := s.mark() - 1; i >= 0; i-- {
		if s.vars[i].name == name {
			s.vars[i].value = v
			return
		}
	}
	s.errorf("undefined variable: %s", name)
}

func (s *state) setTopVar(n int, v value) { s.vars[len(s.vars)-n].value = v }

func (s *state) varValue(name string) value {
	for i := s.mark() - 1; i >= 0; i-- {
		if s.vars[i].name == name {
			return s.vars[i].value
		}
	}
	s.errorf("undefined variable: %s", name)
	return zero
}

func (s *state) at(node parse.Node) { s.node = node }

var (
	errWalkBreak    = errors.New("break")
	errWalkContinue = errors.New("continue")
)

func (s *state) walk(dot value, node parse.Node) {
	s.at(node)
	switch node := node.(type) {
	case *parse.ActionNode:
		val := s.evalPipeline(dot, node.Pipe)
		if len(node.Pipe.Decl) == 0 {
			s.printValue(node, val)
		}
	case *parse.BreakNode:
		panic(errWalkBreak)
	case *parse.CommentNode:
	case *parse.ContinueNode:
		panic(errWalkContinue)
	case *parse.IfNode:
		s.walkIfOrWith(parse.NodeIf, dot, node.Pipe, node.List, node.ElseList)
	case *parse.ListNode:
		for _, node := range node.Nodes {
			s.walk(dot, node)
		}
	case *parse.RangeNode:
		s.walkRange(dot, node)
	case *parse.TemplateNode:
		s.walkTemplate(dot, node)
	case *parse.TextNode:
		if _, err := s.wr.Write(node.Text); err != nil {
			panic(writeError{err})
		}
	case *parse.WithNode:
		s.walkIfOrWith(parse.NodeWith, dot, node.Pipe, node.List, node.ElseList)
	default:
		s.errorf("unknown node: %s", node)
	}
}

func (s *state) walkIfOrWith(typ parse.NodeType, dot value, pipe *parse.PipeNode, list, elseList *parse.ListNode) {
	defer s.pop(s.mark())
	val := s.evalPipeline(dot, pipe)
	truth, ok := isTrue(indirectInterface(val))
	if !ok {
		s.errorf("if/with can't use %v", content(val))
	}
	if truth {
		if typ == parse.NodeWith {
			s.walk(val, list)
		} else {
			s.walk(dot, list)
		}
	} else if elseList != nil {
		s.walk(dot, elseList)
	}
}

func (s *state) walkRange(dot value, r *parse.RangeNode) {
	s.at(r)
	defer func() {
		if r := recover(); r != nil && r != errWalkBreak {
			panic(r)
		}
	}()
	defer s.pop(s.mark())
	val, _ := indirect(s.evalPipeline(dot, r.Pipe))
	mark := s.mark()
	oneIteration := func(index, elem value) {
		if len(r.Pipe.Decl) > 0 {
			if r.Pipe.IsAssign {
				if len(r.Pipe.Decl) > 1 {
					s.setVar(r.Pipe.Decl[0].Ident[0], index)
				} else {
					s.setVar(r.Pipe.Decl[0].Ident[0], elem)
				}
			} else {
				s.setTopVar(1, elem)
			}
		}
		if len(r.Pipe.Decl) > 1 {
			if r.Pipe.IsAssign {
				s.setVar(r.Pipe.Decl[1].Ident[0], elem)
			} else {
				s.setTopVar(2, index)
			}
		}
		defer s.pop(mark)
		defer func() {
			if r := recover(); r != nil && r != errWalkContinue {
				panic(r)
			}
		}()
		s.walk(elem, r.List)
	}
	if val.valid {
		switch x := val.x.(type) {
		case []any:
			if len(x) == 0 {
				break
			}
			for i := range x {
				oneIteration(concrete(i), slot(x[i]))
			}
			return
		case map[string]any:
			if len(x) == 0 {
				break
			}
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				oneIteration(concrete(k), slot(x[k]))
			}
			return
		default:
			k := basicKind(val)
			if k != intKind && k != uintKind {
				s.errorf("range can't iterate over %v", x)
			}
			if len(r.Pipe.Decl) > 1 {
				s.errorf("can't use %v to iterate over more than one variable", x)
			}
			if !rangeInts(x, func(i any) { oneIteration(zero, concrete(i)) }) {
				break
			}
			return
		}
	}
	if r.ElseList != nil {
		s.walk(dot, r.ElseList)
	}
}

// rangeInts calls f with 0 up to n, excluded, in the type of n, as ranging over an integer
// does, and reports whether there was any.
func rangeInts(n any, f func(any)) bool {
	switch n := n.(type) {
	case int:
		for i := 0; i < n; i++ {
			f(i)
		}
		return n > 0
	case int64:
		for i := int64(0); i < n; i++ {
			f(i)
		}
		return n > 0
	case uint8:
		for i := uint8(0); i < n; i++ {
			f(i)
		}
		return n > 0
	}
	return false
}

func (s *state) walkTemplate(dot value, t *parse.TemplateNode) {
	s.at(t)
	tree := s.tmpl.trees[t.Name]
	if tree == nil {
		s.errorf("template %q not defined", t.Name)
	}
	if s.depth == maxExecDepth {
		s.errorf("exceeded maximum template depth (%v)", maxExecDepth)
	}
	dot = s.evalPipeline(dot, t.Pipe)
	newState := *s
	newState.depth++
	newState.name = t.Name
	newState.tree = tree
	newState.vars = []variable{{"$", dot}}
	newState.walk(dot, tree.Root)
}

func (s *state) evalPipeline(dot value, pipe *parse.PipeNode) (v value) {
	if pipe == nil {
		return zero
	}
	s.at(pipe)
	v = missingVal
	for _, cmd := range pipe.Cmds {
		v = indirectInterface(s.evalCommand(dot, cmd, v))
	}
	for _, variable := range pipe.Decl {
		if pipe.IsAssign {
			s.setVar(variable.Ident[0], v)
		} else {
			s.push(variable.Ident[0], v)
		}
	}
	return v
}

func (s *state) notAFunction(args []parse.Node, final value) {
	if len(args) > 1 || !final.missing {
		s.errorf("can't give argument to non-function %s", args[0])
	}
}

func (s *state) evalCommand(dot value, cmd *parse.CommandNode, final value) value {
	firstWord := cmd.Args[0]
	switch n := firstWord.(type) {
	case *parse.FieldNode:
		return s.evalFieldNode(dot, n, cmd.Args, final)
	case *parse.ChainNode:
		return s.evalChainNode(dot, n, cmd.Args, final)
	case *parse.IdentifierNode:
		return s.evalFunction(dot, n, cmd, cmd.Args, final)
	case *parse.PipeNode:
		s.notAFunction(cmd.Args, final)
		return s.evalPipeline(dot, n)
	case *parse.VariableNode:
		return s.evalVariableNode(dot, n, cmd.Args, final)
	}
	s.at(firstWord)
	s.notAFunction(cmd.Args, final)
	switch word := firstWord.(type) {
	case *parse.BoolNode:
		return concrete(word.True)
	case *parse.DotNode:
		return dot
	case *parse.NilNode:
		s.errorf("nil is not a command")
	case *parse.NumberNode:
		return s.idealConstant(word)
	case *parse.StringNode:
		return concrete(word.Text)
	}
	s.errorf("can't evaluate command %q", firstWord)
	panic("not reached")
}

// idealConstant types a number literal the way Go would with no context: int, float64 or
// complex128 depending on how it is written.
func (s *state) idealConstant(constant *parse.NumberNode) value {
	s.at(constant)
	switch {
	case constant.IsComplex:
		return concrete(constant.Complex128)
	case constant.IsFloat &&
		!isHexInt(constant.Text) && !isRuneInt(constant.Text) &&
		strings.ContainsAny(constant.Text, ".eEpP"):
		return concrete(constant.Float64)
	case constant.IsInt:
		n := int(constant.Int64)
		if int64(n) != constant.Int64 {
			s.errorf("%s overflows int", constant.Text)
		}
		return concrete(n)
	case constant.IsUint:
		s.errorf("%s overflows int", constant.Text)
	}
	return zero
}

func isRuneInt(s string) bool {
	return len(s) > 0 && s[0] == '\''
}

func isHexInt(s string) bool {
	return len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && !strings.ContainsAny(s, "pP")
}

func (s *state) evalFieldNode(dot value, field *parse.FieldNode, args []parse.Node, final value) value {
	s.at(field)
	return s.evalFieldChain(dot, dot, field, field.Ident, args, final)
}

func (s *state) evalChainNode(dot value, chain *parse.ChainNode, args []parse.Node, final value) value {
	s.at(chain)
	if len(chain.Field) == 0 {
		s.errorf("internal error: no fields in evalChainNode")
	}
	if chain.Node.Type() == parse.NodeNil {
		s.errorf("indirection through explicit nil in %s", chain)
	}
	pipe := s.evalArg(dot, paramNone, chain.Node)
	return s.evalFieldChain(dot, pipe, chain, chain.Field, args, final)
}

func (s *state) evalVariableNode(dot value, variable *parse.VariableNode, args []parse.Node, final value) value {
	s.at(variable)
	v := s.varValue(variable.Ident[0])
	if len(variable.Ident) == 1 {
		s.notAFunction(args, final)
		return v
	}
	return s.evalFieldChain(dot, v, variable, variable.Ident[1:], args, final)
}

func (s *state) evalFieldChain(dot, receiver value, node parse.Node, ident []string, args []parse.Node, final value) value {
	n := len(ident)
	for i := 0; i < n-1; i++ {
		receiver = s.evalField(dot, ident[i], node, nil, missingVal, receiver)
	}
	return s.evalField(dot, ident[n-1], node, args, final, receiver)
}

func (s *state) evalFunction(dot value, node *parse.IdentifierNode, cmd parse.Node, args []parse.Node, final value) value {
	s.at(node)
	name := node.Ident
	fn, ok := functions[name]
	if !ok {
		s.errorf("%q is not a defined function", name)
	}
	return s.evalCall(dot, fn, name, cmd, args, final)
}

// evalField is a key of a JSON object; nothing in JSON data has methods or struct fields.
func (s *state) evalField(dot value, fieldName string, node parse.Node, args []parse.Node, final, receiver value) value {
	if !receiver.valid {
		if s.tmpl.missingKey == mapError {
			s.errorf("nil data; no entry for key %q", fieldName)
		}
		return zero
	}
	typ := receiver.typeName()
	receiver, isNil := indirect(receiver)
	if isNil {
		s.errorf("nil pointer evaluating %s.%s", typ, fieldName)
	}
	hasArgs := len(args) > 1 || !final.missing
	if m, ok := receiver.x.(map[string]any); ok {
		if hasArgs {
			s.errorf("%s is not a method but has arguments", fieldName)
		}
		result, ok := m[fieldName]
		if !ok {
			switch s.tmpl.missingKey {
			case mapInvalid:
				return zero
			case mapZeroValue:
				return slot(nil)
			case mapError:
				s.errorf("map has no entry for key %q", fieldName)
			}
		}
		return slot(result)
	}
	s.errorf("can't evaluate field %s in type %s", fieldName, typ)
	panic("not reached")
}

func (s *state) evalCall(dot value, fn *function, name string, node parse.Node, args []parse.Node, final value) value {
	if args != nil {
		args = args[1:]
	}
	numIn := len(args)
	if !final.missing {
		numIn++
	}
	numFixed := len(args)
	if fn.variadic {
		numFixed = len(fn.in)
		if numIn < numFixed {
			s.errorf("wrong number of args for %s: want at least %d got %d", name, len(fn.in), len(args))
		}
	} else if numIn != len(fn.in) {
		s.errorf("wrong number of args for %s: want %d got %d", name, len(fn.in), numIn)
	}

	if name == "and" || name == "or" {
		var v value
		for _, arg := range args {
			v = s.evalArg(dot, paramValue, arg)
			if truth(v) == (name == "or") {
				return v
			}
		}
		if !final.missing {
			v = s.validateType(final, paramValue)
		}
		return v
	}

	argv := make([]value, numIn)
	i := 0
	for ; i < numFixed && i < len(args); i++ {
		argv[i] = s.evalArg(dot, fn.in[i], args[i])
	}
	if fn.variadic {
		for ; i < len(args); i++ {
			argv[i] = s.evalArg(dot, fn.rest, args[i])
		}
	}
	if !final.missing {
		t := fn.rest
		if !fn.variadic {
			t = fn.in[len(fn.in)-1]
		} else if numIn-1 < numFixed {
			t = fn.in[numIn-1]
		}
		argv[i] = s.validateType(final, t)
	}

	if name == "call" {
		calleeName := final.String()
		if len(args) > 0 {
			calleeName = args[0].String()
		}
		argv = append([]value{concrete(calleeName)}, argv...)
	}

	v, err := fn.call(argv)
	if err != nil {
		s.at(node)
		s.errorf("error calling %s: %w", name, err)
	}
	return v
}

// param is the Go type of a function parameter, which decides how an argument is converted.
type param int

const (
	paramNone   param = iota // no conversion, for the operand of a chain
	paramValue               // reflect.Value: the value as it is
	paramAny                 // interface{}: what the interface holds
	paramString              // string
)

func (s *state) validateType(v value, typ param) value {
	if !v.valid {
		switch typ {
		case paramAny:
			return concrete(nil)
		case paramString:
			s.errorf("invalid value; expected string")
		}
		return zero
	}
	switch typ {
	case paramAny:
		return concrete(v.x)
	case paramString:
		if str, ok := v.x.(string); ok {
			return concrete(str)
		}
		got := v.typeName()
		if v.iface && v.x != nil {
			got = fmt.Sprintf("%T", v.x)
		}
		s.errorf("wrong type for value; expected string; got %s", got)
	}
	return v
}

func (s *state) evalArg(dot value, typ param, n parse.Node) value {
	s.at(n)
	switch arg := n.(type) {
	case *parse.DotNode:
		return s.validateType(dot, typ)
	case *parse.NilNode:
		switch typ {
		case paramValue:
			return zero
		case paramAny:
			return concrete(nil)
		}
		s.errorf("cannot assign nil to string")
	case *parse.FieldNode:
		return s.validateType(s.evalFieldNode(dot, arg, []parse.Node{n}, missingVal), typ)
	case *parse.VariableNode:
		return s.validateType(s.evalVariableNode(dot, arg, nil, missingVal), typ)
	case *parse.PipeNode:
		return s.validateType(s.evalPipeline(dot, arg), typ)
	case *parse.IdentifierNode:
		return s.validateType(s.evalFunction(dot, arg, arg, nil, missingVal), typ)
	case *parse.ChainNode:
		return s.validateType(s.evalChainNode(dot, arg, nil, missingVal), typ)
	}
	switch typ {
	case paramValue, paramAny:
		return s.evalEmptyInterface(dot, n)
	case paramString:
		s.at(n)
		if n, ok := n.(*parse.StringNode); ok {
			return concrete(n.Text)
		}
		s.errorf("expected string; found %s", n)
	}
	s.errorf("can't handle %s for arg", n)
	panic("not reached")
}

func (s *state) evalEmptyInterface(dot value, n parse.Node) value {
	s.at(n)
	switch n := n.(type) {
	case *parse.BoolNode:
		return concrete(n.True)
	case *parse.NumberNode:
		return s.idealConstant(n)
	case *parse.StringNode:
		return concrete(n.Text)
	}
	s.errorf("can't handle assignment of %s to empty interface argument", n)
	panic("not reached")
}

func (s *state) printValue(n parse.Node, v value) {
	s.at(n)
	var err error
	if !v.valid {
		_, err = io.WriteString(s.wr, "<no value>")
	} else {
		_, err = fmt.Fprint(s.wr, v.x)
	}
	if err != nil {
		panic(writeError{err})
	}
}
