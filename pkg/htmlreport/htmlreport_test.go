package htmlreport

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/kubectl-katib/plugins/pkg/analysis"
)

func render(t *testing.T, in Input) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, in); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func parseHTML(t *testing.T, s string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func hasClass(n *html.Node, class string) bool {
	v, _ := attr(n, "class")
	for _, c := range strings.Fields(v) {
		if c == class {
			return true
		}
	}
	return false
}

// find returns every element under n (n included) that match.
func find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func tag(name string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == name }
}

func chart(name string) func(*html.Node) bool {
	return func(n *html.Node) bool {
		v, _ := attr(n, "data-chart")
		return n.Data == "svg" && v == name
	}
}

func withAttr(key string) func(*html.Node) bool {
	return func(n *html.Node) bool { _, ok := attr(n, key); return ok }
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// checkExperiment checks one experiment's section against the experiment it shows.
func checkExperiment(t *testing.T, sec *html.Node, e *analysis.Experiment) {
	t.Helper()
	if h := find(sec, tag("h2")); len(h) == 0 || text(h[0]) != e.Name {
		t.Errorf("section heading is not the experiment's name %q", e.Name)
	}
	tables := find(sec, func(n *html.Node) bool { return n.Data == "table" && hasClass(n, "trials") })
	if len(tables) != 1 {
		t.Fatalf("%d trial tables", len(tables))
	}
	rows := find(tables[0], withAttr("data-trial-row"))
	if len(rows) != len(e.Trials) {
		t.Errorf("trial table has %d rows, want one per trial (%d)", len(rows), len(e.Trials))
	}
	bestRows := find(tables[0], func(n *html.Node) bool { return n.Data == "tr" && hasClass(n, "best") })
	for _, tr := range e.Trials {
		if tr.Best && (len(bestRows) != 1 || func() string { v, _ := attr(bestRows[0], "data-trial-row"); return v }() != tr.Name) {
			t.Errorf("best trial %s is not the one highlighted row", tr.Name)
		}
	}
	counted := len(e.Counted())
	for name, want := range map[string]int{"history": counted, "parallel": counted} {
		svgs := find(sec, chart(name))
		if len(svgs) != 1 {
			t.Fatalf("%d %s charts", len(svgs), name)
		}
		if got := len(find(svgs[0], withAttr("data-trial"))); got != want {
			t.Errorf("%s chart has %d trial marks, want %d", name, got, want)
		}
	}
	slices := find(sec, chart("slice"))
	if len(slices) != len(e.Params) {
		t.Errorf("%d slice charts, want one per parameter (%d)", len(slices), len(e.Params))
	}
	for _, s := range slices {
		if got := len(find(s, withAttr("data-trial"))); got != counted {
			t.Errorf("slice has %d marks, want %d", got, counted)
		}
	}
	inter := find(sec, chart("intermediate"))
	if len(inter) != 1 {
		t.Fatalf("%d intermediate charts", len(inter))
	}
	if len(find(inter[0], func(n *html.Node) bool { return hasClass(n, "earlystopped") && hasClass(n, "trial") })) == 0 {
		t.Error("no early-stopped trial marked in the intermediate values")
	}
	if d := find(sec, tag("details")); len(d) != 1 || !strings.Contains(text(d[0]), "objectiveMetricName: accuracy") {
		t.Error("the spec is not in a <details> element")
	}
}

func TestSingleExperiment(t *testing.T) {
	e := fixture("mnist-tpe", 80, 20, 1)
	out := render(t, input(e))
	doc := parseHTML(t, out)
	secs := find(doc, func(n *html.Node) bool { return n.Data == "section" && hasClass(n, "experiment") })
	if len(secs) != 1 {
		t.Fatalf("%d experiment sections", len(secs))
	}
	checkExperiment(t, secs[0], e)
	if len(find(doc, func(n *html.Node) bool { return hasClass(n, "comparison") })) != 0 {
		t.Error("a single experiment needs no comparison")
	}
	if len(find(doc, chart("importance"))) != 1 {
		t.Error("no importance chart")
	}
	for _, want := range []string{"Katib report: mnist-tpe", "Generated 2025-03-04 12:30:00 UTC by kubectl-katib v0.9.0",
		"maximize accuracy, goal 0.99", "medianstop", "max trial count has reached", "53m", "fANOVA over"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if s := find(doc, tag("script")); len(s) != 1 {
		t.Errorf("%d scripts, want the one that sorts tables", len(s))
	}
}

func TestSeveralExperiments(t *testing.T) {
	a, b := fixture("mnist-tpe", 60, 10, 2), fixture("mnist-random", 45, 10, 3)
	doc := parseHTML(t, render(t, input(a, b)))
	comp := find(doc, func(n *html.Node) bool { return n.Data == "section" && hasClass(n, "comparison") })
	if len(comp) != 1 {
		t.Fatalf("%d comparison sections", len(comp))
	}
	multi := find(comp[0], chart("multi-history"))
	if len(multi) != 1 {
		t.Fatal("no chart of every experiment's history")
	}
	if got, want := len(find(multi[0], withAttr("data-trial"))), len(a.Counted())+len(b.Counted()); got != want {
		t.Errorf("comparison chart has %d marks, want %d", got, want)
	}
	if rows := find(comp[0], tag("tr")); len(rows) != 3 {
		t.Errorf("summary table has %d rows, want a header and one per experiment", len(rows))
	}
	secs := find(doc, func(n *html.Node) bool { return n.Data == "section" && hasClass(n, "experiment") })
	if len(secs) != 2 {
		t.Fatalf("%d experiment sections", len(secs))
	}
	checkExperiment(t, secs[0], a)
	checkExperiment(t, secs[1], b)
	if len(find(secs[1], chart("importance"))) != 0 || !strings.Contains(text(secs[1]), "Too few finished trials") {
		t.Error("an experiment without importance should say why instead of drawing bars")
	}
	links := find(doc, func(n *html.Node) bool { v, _ := attr(n, "href"); return v == "#experiment-2" })
	if len(links) == 0 {
		t.Error("no link to the second experiment")
	}
}

// TestSelfContained checks that the report loads nothing: the only URL in it is the SVG
// namespace, which names the vocabulary and is never fetched.
func TestSelfContained(t *testing.T) {
	out := render(t, input(fixture("mnist-tpe", 40, 10, 4), fixture("mnist-random", 30, 10, 5)))
	urls := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\s"'<>)]*`).FindAllString(out, -1)
	for _, u := range urls {
		if u != "http://www.w3.org/2000/svg" {
			t.Errorf("report refers to %q", u)
		}
	}
	for _, bad := range []string{"url(", "@import", "<link", "<img", "<iframe", "src=", "fetch(", "XMLHttpRequest"} {
		if strings.Contains(strings.ToLower(out), strings.ToLower(bad)) {
			t.Errorf("report contains %q", bad)
		}
	}
	doc := parseHTML(t, out)
	for _, n := range find(doc, withAttr("href")) {
		if v, _ := attr(n, "href"); !strings.HasPrefix(v, "#") {
			t.Errorf("link %q leaves the page", v)
		}
	}
}

func TestSize500Trials(t *testing.T) {
	e := fixture("big", 500, 20, 6)
	out := render(t, input(e))
	t.Logf("500 trials, 4 parameters, 20 values each: %d bytes", len(out))
	if len(out) >= 2<<20 {
		t.Errorf("report is %d bytes, want under 2 MB", len(out))
	}
	checkExperiment(t, find(parseHTML(t, out), func(n *html.Node) bool { return hasClass(n, "experiment") })[0], e)
}

func TestEscaping(t *testing.T) {
	e := fixture(`exp<script>alert("x")</script>`, 12, 5, 7)
	e.Namespace = `ns&<b>`
	e.Params[3].Choices[0] = `<img src=x onerror=alert(1)>`
	for i := range e.Trials {
		e.Trials[i].Name = `t<i>` + e.Trials[i].Name
		if e.Trials[i].Raw[3] == "sgd" {
			e.Trials[i].Raw[3] = e.Params[3].Choices[0]
		}
	}
	in := input(e)
	in.SpecYAML[0] = "metadata:\n  name: </pre><script>alert(2)</script>\n"
	in.Status[0].Message = `<b>bold</b> & "quoted"`
	in.ImportanceNote[0] = "<em>note</em>"
	out := render(t, in)
	for _, bad := range []string{"<script>alert", "<img src=x", "<b>", "<i>", "<em>", "</pre><script>"} {
		if strings.Contains(out, bad) {
			t.Errorf("unescaped %q in the report", bad)
		}
	}
	doc := parseHTML(t, out)
	if s := find(doc, tag("script")); len(s) != 1 {
		t.Errorf("%d script elements, want only the report's own", len(s))
	}
	if h := find(doc, tag("h2")); len(h) != 1 || text(h[0]) != e.Name {
		t.Errorf("experiment name does not survive escaping")
	}
	rows := find(doc, withAttr("data-trial-row"))
	if v, _ := attr(rows[0], "data-trial-row"); v != e.Trials[0].Name {
		t.Errorf("trial name %q came back as %q", e.Trials[0].Name, v)
	}
	if !strings.Contains(text(doc), `<b>bold</b> & "quoted"`) {
		t.Error("the condition message should read as written")
	}
}

func TestDeterministicAndEmpty(t *testing.T) {
	in := input(fixture("a", 30, 5, 8))
	first, second := render(t, in), render(t, in)
	if first != second {
		t.Error("the same input gave different reports")
	}
	out := render(t, Input{})
	if !strings.Contains(out, "no experiments") {
		t.Error("an empty report should say so")
	}
	// An experiment with no trials and nothing but itself still makes a report.
	bare := &analysis.Experiment{Name: "bare", Params: fixture("x", 1, 1, 1).Params}
	out = render(t, Input{Experiments: []*analysis.Experiment{bare}})
	for _, want := range []string{"no best trial", "No trial reported intermediate values", "not computed"} {
		if !strings.Contains(out, want) {
			t.Errorf("report of an experiment without trials lacks %q", want)
		}
	}
	if err := Write(&bytes.Buffer{}, Input{Experiments: []*analysis.Experiment{nil}}); err == nil {
		t.Error("a nil experiment should be an error")
	}
}

// TestWriteSample writes a two-experiment report to the file named by KATIB_HTML_SAMPLE, for
// a person to open; it does nothing otherwise.
func TestWriteSample(t *testing.T) {
	path := os.Getenv("KATIB_HTML_SAMPLE")
	if path == "" {
		t.Skip("set KATIB_HTML_SAMPLE to a file name to write a sample report")
	}
	out := render(t, input(fixture("mnist-tpe", 150, 20, 21), fixture("mnist-random", 90, 20, 22)))
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
}
