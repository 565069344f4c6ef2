package render

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

// Labels come from cluster objects, so every format must survive any text in them.
func hostile() *Graph {
	return &Graph{Title: `a "quoted" <title> & more`, Subtitle: "sub",
		Groups: []Group{{ID: "g 1", Label: "<group>", Nodes: []Node{
			{ID: "a/b", Label: `x"y`, Lines: []string{"<b>&amp;</b>", strings.Repeat("long ", 40)}, Status: "ok"},
			{ID: "c.d", Label: "c", Status: "failing"}}}},
		Edges: []Edge{{From: "a/b", To: "c.d", Label: `"quoted" & <b>`}, {From: "a/b", To: "missing"}},
		Notes: []string{"a note with <angle> brackets"},
	}
}

func TestSVGIsXMLWhateverTheLabels(t *testing.T) {
	var buf bytes.Buffer
	if err := SVG(&buf, hostile()); err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(&buf)
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not XML: %v", err)
		}
	}
}

func TestDOTAndMermaidEscape(t *testing.T) {
	var dot, mm bytes.Buffer
	_ = DOT(&dot, hostile())
	_ = Mermaid(&mm, hostile())
	if !strings.Contains(dot.String(), `label="a \"quoted\" <title> & more"`) || !strings.Contains(dot.String(), "n_a_b -> n_c_d") {
		t.Errorf("dot:\n%s", dot.String())
	}
	if strings.Contains(mm.String(), `x"y`) || !strings.Contains(mm.String(), "x#quot;y") {
		t.Errorf("mermaid:\n%s", mm.String())
	}
}

func TestBoxesFitTheWidth(t *testing.T) {
	for _, w := range []int{40, 80, 100} {
		var buf bytes.Buffer
		_ = Boxes(&buf, hostile(), Style{Width: w})
		for _, line := range strings.Split(buf.String(), "\n") {
			if Width(line) > w {
				t.Errorf("width %d: %q is %d wide", w, line, Width(line))
			}
		}
	}
}

func TestWrapAndTruncate(t *testing.T) {
	if got := Truncate("kube-controller-manager", 8); got != "kube-co…" {
		t.Errorf("Truncate: %q", got)
	}
	if got := Wrap("one two three four", 9); strings.Join(got, "|") != "one two|three|four" {
		t.Errorf("Wrap: %q", got)
	}
}
