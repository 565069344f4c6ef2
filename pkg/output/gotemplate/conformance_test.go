package gotemplate

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"text/template"
	"text/template/parse"

	"k8s.io/apimachinery/pkg/util/json"
)

// The reference is text/template itself, set up as kubectl's go-template printer sets it up;
// exists and base64decode are kubectl's (k8s.io/cli-runtime/pkg/printers), which keeps them
// unexported. pkg/output's tests compare with that printer as a whole.

func refExists(item interface{}, indices ...interface{}) bool {
	v := reflect.ValueOf(item)
	for _, i := range indices {
		index := reflect.ValueOf(i)
		var isNil bool
		if v, isNil = refIndirect(v); isNil {
			return false
		}
		switch v.Kind() {
		case reflect.Array, reflect.Slice, reflect.String:
			var x int64
			switch index.Kind() {
			case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
				x = index.Int()
			case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
				x = int64(index.Uint())
			default:
				return false
			}
			if x < 0 || x >= int64(v.Len()) {
				return false
			}
			v = v.Index(int(x))
		case reflect.Map:
			if !index.IsValid() {
				index = reflect.Zero(v.Type().Key())
			}
			if !index.Type().AssignableTo(v.Type().Key()) {
				return false
			}
			if x := v.MapIndex(index); x.IsValid() {
				v = x
			} else {
				v = reflect.Zero(v.Type().Elem())
			}
		default:
			return false
		}
	}
	if _, isNil := refIndirect(v); isNil {
		return false
	}
	return true
}

func refIndirect(v reflect.Value) (rv reflect.Value, isNil bool) {
	for ; v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface; v = v.Elem() {
		if v.IsNil() {
			return v, true
		}
		if v.Kind() == reflect.Interface && v.NumMethod() > 0 {
			break
		}
	}
	return v, false
}

func refBase64decode(v string) (string, error) {
	data, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return "", fmt.Errorf("base64 decode failed: %v", err)
	}
	return string(data), nil
}

// result is what a template run gives: a parse error, or output and an execution error.
type result struct {
	parseErr string
	out      string
	execErr  string
}

func (r result) String() string {
	return fmt.Sprintf("parse error: %q\noutput: %q\nexec error: %q", r.parseErr, r.out, r.execErr)
}

// recovering turns a panic into an error the way kubectl's printer does.
func recovering(run func() error) (err error) {
	defer func() {
		if x := recover(); x != nil {
			err = fmt.Errorf("caught panic: %+v", x)
		}
	}()
	return run()
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func runReference(text, missingKey string, data any) result {
	t, err := template.New("output").
		Funcs(template.FuncMap{"exists": refExists, "base64decode": refBase64decode}).
		Parse(text)
	if err != nil {
		return result{parseErr: err.Error()}
	}
	t.Option("missingkey=" + missingKey)
	var buf bytes.Buffer
	err = recovering(func() error { return t.Execute(&buf, data) })
	return result{out: buf.String(), execErr: errString(err)}
}

func runOurs(text, missingKey string, data any) result {
	t, err := Parse("output", text)
	if err != nil {
		return result{parseErr: err.Error()}
	}
	t.Option("missingkey=" + missingKey)
	var buf bytes.Buffer
	err = recovering(func() error { return t.Execute(&buf, data) })
	return result{out: buf.String(), execErr: errString(err)}
}

// documents are the test objects decoded as kubectl's printer decodes them, by name.
func documents(t testing.TB) map[string]any {
	t.Helper()
	docs := map[string]any{}
	for _, name := range []string{"experiment", "trial", "list"} {
		data, err := os.ReadFile(filepath.Join("testdata", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]interface{}{}
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatal(err)
		}
		docs[name] = out
	}
	return docs
}

func documentNames(docs map[string]any) []string {
	names := make([]string, 0, len(docs))
	for name := range docs {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// templates are the cases of testdata/templates.txt, which separates them by lines of "%%".
func templates(t testing.TB) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "templates.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n%%\n")
}

func TestConformance(t *testing.T) {
	docs := documents(t)
	cases := templates(t)
	if len(cases) < 60 {
		t.Fatalf("only %d templates", len(cases))
	}
	var runs, parseErrors, execErrors int
	for _, text := range cases {
		for _, name := range documentNames(docs) {
			for _, missingKey := range []string{"default", "error", "zero"} {
				want := runReference(text, missingKey, docs[name])
				got := runOurs(text, missingKey, docs[name])
				runs++
				if want.parseErr != "" {
					parseErrors++
				} else if want.execErr != "" {
					execErrors++
				}
				if got != want {
					t.Errorf("template %q on %s with missingkey=%s:\n--- text/template\n%v\n--- ours\n%v", text, name, missingKey, want, got)
				}
			}
		}
	}
	t.Logf("%d templates, %d runs, %d failed to parse, %d failed to execute, all as text/template", len(cases), runs, parseErrors, execErrors)
}

func TestWriteErrorIsReturnedAsIs(t *testing.T) {
	tmpl, err := Parse("output", "{{.metadata.name}}")
	if err != nil {
		t.Fatal(err)
	}
	err = tmpl.Execute(failingWriter{}, map[string]any{"metadata": map[string]any{"name": "x"}})
	if err != errWrite {
		t.Fatalf("got %v", err)
	}
}

var errWrite = fmt.Errorf("disk full")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestUnknownOptionPanicsAsTextTemplate(t *testing.T) {
	for _, opt := range []string{"", "missingkey=nope", "other"} {
		want := panicOf(func() { template.New("x").Option(opt) })
		got := panicOf(func() {
			tmpl, _ := Parse("x", "")
			tmpl.Option(opt)
		})
		if got != want {
			t.Errorf("%q: panicked with %v, text/template with %v", opt, got, want)
		}
	}
}

func panicOf(f func()) (x any) {
	defer func() { x = recover() }()
	f()
	return nil
}

// bigNumbers reports a template whose numbers could make a range run for long.
func bigNumbers(text string) bool {
	trees, err := parse.Parse("output", text, "", "", funcNames)
	if err != nil {
		return false
	}
	big := false
	var visit func(n parse.Node)
	visit = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.NumberNode:
			if n.IsInt && (n.Int64 > 1000 || n.Int64 < -1000) || n.IsUint && !n.IsInt {
				big = true
			}
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					visit(c)
				}
			}
		case *parse.ActionNode:
			visit(n.Pipe)
		case *parse.PipeNode:
			if n != nil {
				for _, c := range n.Cmds {
					visit(c)
				}
			}
		case *parse.CommandNode:
			for _, c := range n.Args {
				visit(c)
			}
		case *parse.ChainNode:
			visit(n.Node)
		case *parse.IfNode:
			visit(n.Pipe)
			visit(n.List)
			visit(n.ElseList)
		case *parse.RangeNode:
			visit(n.Pipe)
			visit(n.List)
			visit(n.ElseList)
		case *parse.WithNode:
			visit(n.Pipe)
			visit(n.List)
			visit(n.ElseList)
		case *parse.TemplateNode:
			visit(n.Pipe)
		}
	}
	for _, tree := range trees {
		visit(tree.Root)
	}
	return big
}

// FuzzConformance runs templates made by the fuzzer from the conformance cases through both
// evaluators, on every document and with either missing-key setting.
func FuzzConformance(f *testing.F) {
	for i, text := range templates(f) {
		f.Add(text, uint8(i))
	}
	docs := documents(f)
	names := documentNames(docs)
	f.Fuzz(func(t *testing.T, text string, pick uint8) {
		if len(text) > 2000 || bigNumbers(text) {
			t.Skip()
		}
		name := names[int(pick)%len(names)]
		missingKey := "default"
		if pick&0x80 != 0 {
			missingKey = "error"
		}
		want := runReference(text, missingKey, docs[name])
		got := runOurs(text, missingKey, docs[name])
		if got != want {
			t.Errorf("template %q on %s with missingkey=%s:\n--- text/template\n%v\n--- ours\n%v", text, name, missingKey, want, got)
		}
	})
}

// gen builds random templates from a small grammar over the fields of the test documents, so
// that functions, pipelines and control structures meet in combinations that the
// hand-written cases do not try.
type gen struct {
	r     *rand.Rand
	vars  []string
	depth int
}

var (
	genFields = []string{
		".", "$", ".metadata", ".metadata.name", ".metadata.labels", ".metadata.labels.app",
		".metadata.annotations.secret", ".metadata.missing", ".metadata.missing.x", ".spec",
		".spec.nothing", ".spec.nothing.x", ".spec.parameters", ".spec.matrix", ".spec.ratio",
		".spec.one", ".spec.maxTrialCount", ".spec.negative", ".spec.zero", ".spec.enabled",
		".spec.disabled", ".spec.empty", ".spec.emptyList", ".spec.emptyString", ".items",
		".name", ".kind", ".status.conditions", ".status.completionTime", ".feasibleSpace",
		".metadata.name.x", ".spec.parameters.x", ".type", ".status",
	}
	genLiterals = []string{
		"0", "1", "2", "3", "-1", "12", "114", "1.5", "0.5", "1e3", "1i", "'a'", "0x10",
		`"x"`, `"app"`, `"name"`, `"nothing"`, `"metadata"`, `""`, `"%v"`, `"%d"`, `"%s-%v"`,
		`"aGk="`, "true", "false", "nil",
	}
	genFuncs = []string{
		"and", "or", "not", "len", "index", "slice", "print", "printf", "println", "eq", "ne",
		"lt", "le", "gt", "ge", "html", "js", "urlquery", "call", "exists", "base64decode",
	}
)

// genArity is the usual number of arguments, which the generator mostly keeps to so that
// more templates get past argument checks.
var genArity = map[string]int{
	"not": 1, "len": 1, "index": 2, "slice": 2, "eq": 2, "ne": 2, "lt": 2, "le": 2, "gt": 2,
	"ge": 2, "printf": 2, "base64decode": 1, "exists": 2,
}

func (g *gen) pick(xs []string) string { return xs[g.r.Intn(len(xs))] }

func (g *gen) operand() string {
	switch n := g.r.Intn(10); {
	case n < 4:
		return g.pick(genFields)
	case n < 6 && len(g.vars) > 0:
		v := g.pick(g.vars)
		if g.r.Intn(3) == 0 {
			v += g.pick([]string{".name", ".metadata", ".x", ".spec.parameters"})
		}
		return v
	case n < 8 || g.depth > 3:
		return g.pick(genLiterals)
	default:
		g.depth++
		defer func() { g.depth-- }()
		p := "(" + g.pipeline() + ")"
		if g.r.Intn(4) == 0 {
			p += g.pick([]string{".name", ".metadata", ".x"})
		}
		return p
	}
}

func (g *gen) command(piped bool) string {
	if g.r.Intn(3) == 0 && !piped {
		return g.operand()
	}
	fn := g.pick(genFuncs)
	parts := []string{fn}
	n := g.r.Intn(4)
	if arity, ok := genArity[fn]; ok && g.r.Intn(4) != 0 {
		n = arity
		if piped && n > 0 {
			n--
		}
	}
	for ; n > 0; n-- {
		parts = append(parts, g.operand())
	}
	return strings.Join(parts, " ")
}

func (g *gen) pipeline() string {
	p := g.command(false)
	for g.r.Intn(4) == 0 {
		p += " | " + g.command(true)
	}
	return p
}

func (g *gen) declare(p string) string {
	if g.r.Intn(5) != 0 {
		return p
	}
	if len(g.vars) > 0 && g.r.Intn(2) == 0 {
		return g.pick(g.vars) + " = " + p
	}
	v := fmt.Sprintf("$v%d", len(g.vars))
	g.vars = append(g.vars, v)
	return v + " := " + p
}

func (g *gen) list(n int) string {
	var b strings.Builder
	for ; n > 0; n-- {
		b.WriteString(g.node())
	}
	return b.String()
}

func (g *gen) node() string {
	if g.depth > 3 {
		return g.pick([]string{"a", " ", "\n", "{{.}}"})
	}
	g.depth++
	defer func() { g.depth-- }()
	mark := len(g.vars)
	defer func() { g.vars = g.vars[:mark] }()
	switch g.r.Intn(12) {
	case 0, 1:
		return g.pick([]string{"a", " ", "\n", "-", "|"})
	case 2, 3, 4:
		return "{{" + g.declare(g.pipeline()) + "}}"
	case 5:
		s := "{{if " + g.pipeline() + "}}" + g.list(2)
		if g.r.Intn(2) == 0 {
			s += "{{else if " + g.pipeline() + "}}" + g.list(1)
		}
		if g.r.Intn(2) == 0 {
			s += "{{else}}" + g.list(1)
		}
		return s + "{{end}}"
	case 6:
		s := "{{with " + g.pipeline() + "}}" + g.list(2)
		if g.r.Intn(2) == 0 {
			s += "{{else}}" + g.list(1)
		}
		return s + "{{end}}"
	case 7, 8:
		head := g.pipeline()
		switch g.r.Intn(3) {
		case 0:
			g.vars = append(g.vars, "$i", "$e")
			head = "$i, $e := " + head
		case 1:
			g.vars = append(g.vars, "$e")
			head = "$e := " + head
		}
		body := g.list(2)
		if g.r.Intn(3) == 0 {
			body += g.pick([]string{"{{break}}", "{{continue}}", "{{if " + g.pipeline() + "}}{{break}}{{end}}", "{{if " + g.pipeline() + "}}{{continue}}{{end}}"})
		}
		s := "{{range " + head + "}}" + body
		if g.r.Intn(2) == 0 {
			s += "{{else}}" + g.list(1)
		}
		return s + "{{end}}"
	case 9:
		return "{{template \"t\" " + g.pipeline() + "}}"
	case 10:
		return "{{/* c */}}" + g.pick([]string{"{{- ", "{{"}) + g.pipeline() + g.pick([]string{" -}}", "}}"})
	default:
		return "{{" + g.operand() + "}}"
	}
}

func (g *gen) template() string {
	g.vars = nil
	body := g.list(1 + g.r.Intn(4))
	g.vars = nil
	def := "{{define \"t\"}}" + g.list(1+g.r.Intn(2)) + "{{end}}"
	return def + body
}

// compareGenerated reports whether the template ran to the end.
func compareGenerated(t *testing.T, docs map[string]any, names []string, seed int64) bool {
	g := &gen{r: rand.New(rand.NewSource(seed))}
	text := g.template()
	name := names[g.r.Intn(len(names))]
	missingKey := g.pick([]string{"default", "error"})
	want := runReference(text, missingKey, docs[name])
	got := runOurs(text, missingKey, docs[name])
	if got != want {
		t.Errorf("template %q on %s with missingkey=%s:\n--- text/template\n%v\n--- ours\n%v", text, name, missingKey, want, got)
		return false
	}
	return want.parseErr == "" && want.execErr == ""
}

func TestGeneratedTemplates(t *testing.T) {
	docs := documents(t)
	names := documentNames(docs)
	n := 10000
	if testing.Short() {
		n = 1000
	}
	completed := 0
	for seed := int64(0); seed < int64(n); seed++ {
		if compareGenerated(t, docs, names, seed) {
			completed++
		}
	}
	t.Logf("%d generated templates, %d of them ran without error, all as text/template", n, completed)
}

// FuzzGenerated lets the fuzzer pick the seeds of the grammar.
func FuzzGenerated(f *testing.F) {
	for _, seed := range []int64{0, 1, 42, 1 << 40} {
		f.Add(seed)
	}
	docs := documents(f)
	names := documentNames(docs)
	f.Fuzz(func(t *testing.T, seed int64) { compareGenerated(t, docs, names, seed) })
}
