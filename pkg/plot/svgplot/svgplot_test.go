package svgplot

import (
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubectl-katib/plugins/pkg/analysis"
	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/suggest"
)

// fixture is an experiment of n trials over a log-scaled, a linear, an int and a categorical
// parameter, with every trial state that matters to the charts: failed trials (no
// objective), trials stopped early (shorter logs), a killed one and running ones.
func fixture(n int, seed uint64) *analysis.Experiment {
	e := &analysis.Experiment{
		Name: "mnist-tpe", Namespace: "team-a", Metric: "accuracy", Maximize: true,
		Algorithm: "tpe", EarlyStopping: "medianstop", Goal: ptr(0.99),
		Params: []analysis.Param{
			{Name: "lr", Type: experiment.ParameterTypeDouble, Kind: analysis.Numeric, Log: true, Min: 1e-4, Max: 1e-1},
			{Name: "momentum", Type: experiment.ParameterTypeDouble, Kind: analysis.Numeric, Min: 0.5, Max: 0.99},
			{Name: "layers", Type: experiment.ParameterTypeInt, Kind: analysis.Numeric, Integer: true, Min: 1, Max: 8},
			{Name: "optimizer", Type: experiment.ParameterTypeCategorical, Kind: analysis.Categorical, Choices: []string{"sgd", "adam", "rmsprop"}},
		},
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	bestIdx := -1
	for i := range n {
		lr := math.Pow(10, -4+3*rng.Float64())
		mom := 0.5 + 0.49*rng.Float64()
		layers := float64(1 + rng.IntN(8))
		opt := rng.IntN(3)
		final := 0.97 - 0.08*math.Pow(math.Log10(lr)+2.5, 2) + 0.01*float64(opt) + 0.02*mom - 0.002*layers + 0.01*rng.NormFloat64()
		state := suggest.StateSucceeded
		steps := 20
		switch {
		case i%23 == 5:
			state = suggest.StateFailed
		case i%7 == 3:
			state, steps = suggest.StateEarlyStopped, 4+i%9
		case i == n-2 && n > 4:
			state, steps = suggest.StateKilled, 6
		case i == n-1 && n > 4:
			state, steps = suggest.StateRunning, 8
		}
		t := analysis.Trial{
			Name: fmt.Sprintf("%s-%04d", e.Name, i), Index: i, State: state, Stride: 1,
			Values: []float64{lr, mom, layers, float64(opt)},
			Raw:    []string{strconvG(lr), strconvG(mom), strconvG(layers), e.Params[3].Choices[opt]},
		}
		if state != suggest.StateFailed {
			for s := range steps {
				t.Reports = append(t.Reports, final*(1-math.Exp(-float64(s+1)/4))+0.005*rng.NormFloat64())
			}
		}
		switch state {
		case suggest.StateSucceeded, suggest.StateEarlyStopped, suggest.StateKilled:
			v := t.Reports[len(t.Reports)-1]
			t.Objective = &v
			t.Counted = state != suggest.StateKilled
		}
		if t.Counted && (bestIdx < 0 || *t.Objective > *e.Trials[bestIdx].Objective) {
			bestIdx = i
		}
		e.Trials = append(e.Trials, t)
	}
	if bestIdx >= 0 {
		e.Trials[bestIdx].Best = true
	}
	return e
}

func ptr(v float64) *float64 { return &v }

func strconvG(v float64) string { return fmt.Sprintf("%.6g", v) }

// element is a parsed SVG element: enough of the tree to count and inspect marks.
type element struct {
	name     string
	attrs    map[string]string
	children []*element
	text     string
}

// parse reads an SVG document with encoding/xml, failing the test if it is not well formed.
func parse(t *testing.T, svg string) *element {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(svg))
	dec.Strict = true
	var stack []*element
	var root *element
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v\n%s", err, svg)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			el := &element{name: tk.Name.Local, attrs: map[string]string{}}
			for _, a := range tk.Attr {
				el.attrs[a.Name.Local] = a.Value
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, el)
			} else {
				root = el
			}
			stack = append(stack, el)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tk)
			}
		}
	}
	if root == nil || root.name != "svg" {
		t.Fatalf("no svg root element")
	}
	return root
}

func (e *element) walk(f func(*element)) {
	f(e)
	for _, c := range e.children {
		c.walk(f)
	}
}

// trials returns the data-trial of every element that stands for a trial.
func (e *element) trials() []string {
	var out []string
	e.walk(func(el *element) {
		if v, ok := el.attrs["data-trial"]; ok {
			out = append(out, v)
		}
	})
	return out
}

func (e *element) withClass(class string) []*element {
	var out []*element
	e.walk(func(el *element) {
		for _, c := range strings.Fields(el.attrs["class"]) {
			if c == class {
				out = append(out, el)
				return
			}
		}
	})
	return out
}

func checkRoot(t *testing.T, root *element, chart string) {
	t.Helper()
	if root.attrs["data-chart"] != chart {
		t.Errorf("data-chart = %q, want %q", root.attrs["data-chart"], chart)
	}
	for _, a := range []string{"width", "height", "viewBox", "font-family"} {
		if root.attrs[a] == "" {
			t.Errorf("%s chart has no %s", chart, a)
		}
	}
	if !strings.Contains(root.attrs["font-family"], "sans-serif") {
		t.Errorf("font-family %q is not a sans-serif stack", root.attrs["font-family"])
	}
	texts := 0
	root.walk(func(el *element) {
		if el.name == "text" {
			texts++
		}
	})
	if texts < 3 {
		t.Errorf("%s chart has %d text elements; want a title, tick labels and axis titles", chart, texts)
	}
}

func counted(e *analysis.Experiment) (names []string, best string) {
	for _, t := range e.Trials {
		if t.Counted {
			names = append(names, t.Name)
		}
		if t.Best {
			best = t.Name
		}
	}
	return names, best
}

func TestHistoryOneMarkPerCountedTrial(t *testing.T) {
	e := fixture(60, 1)
	root := parse(t, History(e))
	checkRoot(t, root, "history")
	want, best := counted(e)
	got := root.trials()
	if len(got) != len(want) {
		t.Fatalf("history has %d trial marks, want %d (one per counted trial)", len(got), len(want))
	}
	seen := map[string]int{}
	for _, n := range got {
		seen[n]++
	}
	for _, n := range want {
		if seen[n] != 1 {
			t.Errorf("trial %s has %d marks", n, seen[n])
		}
	}
	var bests []*element
	for _, el := range root.withClass("best") {
		if el.attrs["data-trial"] != "" {
			bests = append(bests, el)
		}
	}
	if len(bests) != 1 || bests[0].attrs["data-trial"] != best {
		t.Errorf("best marks %v, want just %s", bests, best)
	}
	if n := len(root.withClass("earlystopped")); n == 0 {
		t.Error("no trial stopped early is drawn as such")
	}
	if len(root.withClass("best-so-far")) != 1 || len(root.withClass("goal")) != 1 {
		t.Error("want one best-so-far line and one goal line")
	}
	if len(root.withClass("legend")) != 1 {
		t.Error("no legend")
	}
}

func TestIntermediateMarksEarlyStopped(t *testing.T) {
	e := fixture(40, 2)
	root := parse(t, Intermediate(e))
	checkRoot(t, root, "intermediate")
	reported, early := 0, 0
	for _, tr := range e.Trials {
		if len(tr.Reports) > 0 {
			reported++
			if tr.State == suggest.StateEarlyStopped {
				early++
			}
		}
	}
	if got := len(root.trials()); got != reported {
		t.Errorf("%d series, want %d", got, reported)
	}
	stops := 0
	for _, g := range root.withClass("earlystopped") {
		if g.attrs["data-trial"] == "" {
			continue
		}
		if len(g.withClass("stop")) != 1 {
			t.Errorf("early-stopped %s has no stop mark", g.attrs["data-trial"])
		}
		stops++
	}
	if stops != early || early == 0 {
		t.Errorf("%d early-stopped series marked, want %d", stops, early)
	}
}

func TestIntermediateThinsLongLogs(t *testing.T) {
	e := fixture(3, 3)
	for i := range e.Trials {
		e.Trials[i].Reports = make([]float64, 5000)
		for j := range e.Trials[i].Reports {
			e.Trials[i].Reports[j] = float64(j)
		}
	}
	svg := Intermediate(e)
	if len(svg) > 20000 {
		t.Errorf("3 trials of 5,000 values take %d bytes; long logs should be thinned", len(svg))
	}
	root := parse(t, svg)
	for _, g := range root.withClass("trial") {
		for _, c := range g.children {
			if c.name != "polyline" {
				continue
			}
			pts := strings.Fields(c.attrs["points"])
			if len(pts) > maxSeriesPoints+1 {
				t.Errorf("%d points drawn, want at most %d", len(pts), maxSeriesPoints+1)
			}
			// The last value is where the trial ended, so it must survive the thinning.
			if x := strings.Split(pts[len(pts)-1], ",")[0]; x != "695.9" {
				t.Errorf("last point at x=%s, want step 4,999 at 695.9", x)
			}
		}
	}
}

func TestParallelAndSliceAxes(t *testing.T) {
	e := fixture(50, 4)
	want, best := counted(e)
	root := parse(t, Parallel(e))
	checkRoot(t, root, "parallel")
	if got := len(root.trials()); got != len(want) {
		t.Errorf("parallel has %d lines, want %d", got, len(want))
	}
	if b := root.withClass("best"); len(b) != 1 || b[0].attrs["data-trial"] != best {
		t.Errorf("parallel best %v, want %s", b, best)
	}
	for i, p := range e.Params {
		svg := Slice(e, i)
		root := parse(t, svg)
		checkRoot(t, root, "slice")
		if got := len(root.trials()); got != len(want) {
			t.Errorf("slice %s has %d marks, want %d", p.Name, got, len(want))
		}
		labels := map[string]bool{}
		for _, ax := range root.withClass("x-axis") {
			ax.walk(func(el *element) {
				if el.name == "text" {
					labels[el.text] = true
				}
			})
		}
		switch p.Name {
		case "lr":
			// A log axis labels decades.
			for _, l := range []string{"0.0001", "0.001", "0.01", "0.1", "lr (log scale)"} {
				if !labels[l] {
					t.Errorf("log axis lacks %q: %v", l, labels)
				}
			}
		case "optimizer":
			for _, c := range p.Choices {
				if !labels[c] {
					t.Errorf("categorical axis lacks %q: %v", c, labels)
				}
			}
		case "layers":
			for l := range labels {
				if l != "layers" && strings.Contains(l, ".") {
					t.Errorf("int axis has a fractional tick %q", l)
				}
			}
		}
	}
	if !strings.Contains(Slice(e, 9), "no parameter") {
		t.Error("a parameter out of range should say so")
	}
}

func TestImportanceAndMultiHistory(t *testing.T) {
	bars := []Bar{{"lr", 0.61}, {"optimizer", 0.25}, {"momentum", 0.1}, {"layers", 0.04}}
	root := parse(t, Importance(bars))
	checkRoot(t, root, "importance")
	if got := len(root.withClass("bar")); got != len(bars) {
		t.Errorf("%d bars, want %d", got, len(bars))
	}
	if !strings.Contains(Importance(bars), "61.0%") {
		t.Error("share label missing")
	}
	parse(t, Importance(nil))

	a, b := fixture(30, 5), fixture(45, 6)
	b.Name = "mnist-random"
	root = parse(t, MultiHistory([]*analysis.Experiment{a, b}))
	checkRoot(t, root, "multi-history")
	wa, _ := counted(a)
	wb, _ := counted(b)
	if got := len(root.trials()); got != len(wa)+len(wb) {
		t.Errorf("%d marks, want %d", got, len(wa)+len(wb))
	}
	if got := len(root.withClass("best-so-far")); got != 2 {
		t.Errorf("%d best-so-far lines, want 2", got)
	}
}

func TestEscapingAndEmpty(t *testing.T) {
	e := fixture(8, 8)
	e.Name = `a<b>&"c'`
	e.Params[3].Choices[0] = "<sgd>"
	for i := range e.Trials {
		e.Trials[i].Name = fmt.Sprintf(`t<%d>&"x"`, i)
		if e.Trials[i].Raw[3] == "sgd" {
			e.Trials[i].Raw[3] = "<sgd>"
		}
	}
	for name, svg := range map[string]string{"history": History(e), "intermediate": Intermediate(e),
		"parallel": Parallel(e), "slice": Slice(e, 3), "multi": MultiHistory([]*analysis.Experiment{e}),
		"importance": Importance([]Bar{{"<x>", 1}})} {
		if strings.Contains(svg, "<b>") || strings.Contains(svg, "<sgd>") || strings.Contains(svg, "<x>") || strings.Contains(svg, "t<0>") {
			t.Errorf("%s: unescaped text:\n%s", name, svg)
		}
		root := parse(t, svg)
		if got := root.trials(); len(got) > 0 && !strings.HasPrefix(got[0], "t<") {
			t.Errorf("%s: data-trial %q does not round-trip", name, got[0])
		}
	}

	empty := &analysis.Experiment{Name: "empty", Params: fixture(1, 1).Params}
	for _, svg := range []string{History(empty), Intermediate(empty), Parallel(empty), Slice(empty, 0), MultiHistory(nil)} {
		root := parse(t, svg)
		if len(root.trials()) != 0 || !strings.Contains(svg, "No ") {
			t.Errorf("empty chart should say there is nothing to draw:\n%s", svg)
		}
	}
}

func TestDeterministic(t *testing.T) {
	a, b := fixture(80, 9), fixture(80, 9)
	if History(a) != History(b) || Parallel(a) != Parallel(b) || Slice(a, 3) != Slice(b, 3) || Intermediate(a) != Intermediate(b) {
		t.Error("the same experiment gave different charts")
	}
}

func TestScales(t *testing.T) {
	s := linearScale(0.123, 0.987, 0, 100, 5)
	if s.lo != 0 || s.hi != 1 || len(s.ticks) != 6 || s.ticks[1].label != "0.2" {
		t.Errorf("linear %+v", s)
	}
	s = linearScale(5, 5, 0, 100, 5)
	if !(s.lo < 5 && s.hi > 5) {
		t.Errorf("single value domain %v..%v", s.lo, s.hi)
	}
	s = logScaleOf(3e-4, 0.05, 0, 100)
	if s.lo != -4 || s.hi != -1 || s.ticks[0].label != "0.0001" {
		t.Errorf("log %+v", s)
	}
	if x := s.pos(1e-3); math.Abs(x-100.0/3) > 1e-9 {
		t.Errorf("log pos %v", x)
	}
	if !math.IsNaN(s.pos(-1)) {
		t.Error("a non-positive value has no place on a log axis")
	}
	b := bandScale([]string{"a", "b"}, 0, 100)
	if b.pos(0) != 25 || b.pos(1) != 75 {
		t.Errorf("band %v %v", b.pos(0), b.pos(1))
	}
}

// TestWriteSamples writes each chart to the directory named by KATIB_SVG_SAMPLES, for a
// person to look at; it does nothing otherwise.
func TestWriteSamples(t *testing.T) {
	dir := os.Getenv("KATIB_SVG_SAMPLES")
	if dir == "" {
		t.Skip("set KATIB_SVG_SAMPLES to a directory to write sample charts")
	}
	e := fixture(120, 10)
	b := fixture(90, 11)
	b.Name = "mnist-random"
	charts := map[string]string{
		"history.svg": History(e), "intermediate.svg": Intermediate(e), "parallel.svg": Parallel(e),
		"multi.svg":      MultiHistory([]*analysis.Experiment{e, b}),
		"importance.svg": Importance([]Bar{{"lr", 0.61}, {"optimizer", 0.25}, {"momentum", 0.1}, {"layers", 0.04}}),
	}
	for i, p := range e.Params {
		charts["slice-"+p.Name+".svg"] = Slice(e, i)
	}
	for name, svg := range charts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(svg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
