package render

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"
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

// wide is a graph whose labels are mostly double-width characters, long enough that every
// format has to cut or wrap them.
func wide() *Graph {
	return &Graph{Title: "東京クラスタの構成図 " + strings.Repeat("制御", 40), Subtitle: strings.Repeat("ノード ", 30),
		Groups: []Group{{ID: "g", Label: strings.Repeat("コントロールプレーン", 10), Nodes: []Node{
			{ID: "a", Label: "東京-ワーカー-ノード-第一号機-本番環境-データベース", Lines: []string{strings.Repeat("日本語の説明 ", 12), "😀😀😀 emoji 😀😀😀"}, Status: "ok"},
			{ID: "b", Label: "大阪", Lines: []string{strings.Repeat("宽", 60)}, Status: "failing"},
			{ID: "c", Label: "x" + strings.Repeat("幅", 30), Status: "unknown"}}}},
		Edges:    []Edge{{From: "a", To: "b", Label: strings.Repeat("接続", 40)}},
		Warnings: []string{strings.Repeat("警告 ", 40)},
		Notes:    []string{strings.Repeat("注意", 50)},
	}
}

// cells measures a line without the renderer's own Width, so a renderer that counted runes
// or bytes instead of terminal cells is caught. Ambiguous-width runes (the frame, ●, …)
// count as one cell, as in a terminal outside an East Asian locale.
func cells(s string) int { return (&runewidth.Condition{EastAsianWidth: false}).StringWidth(s) }

func TestBoxesFitTheWidth(t *testing.T) {
	for _, tc := range []struct {
		name  string
		graph func() *Graph
	}{
		{"hostile text", hostile},
		{"wide characters", wide},
	} {
		for _, w := range []int{40, 80, 100} {
			t.Run(fmt.Sprintf("%s/%d", tc.name, w), func(t *testing.T) {
				var buf bytes.Buffer
				if err := Boxes(&buf, tc.graph(), Style{Width: w}); err != nil {
					t.Fatal(err)
				}
				for _, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
					got := cells(line)
					if got > w {
						t.Errorf("%q is %d cells wide", line, got)
					}
					// A frame that is not closed at the full width shows a miscounted cell.
					if strings.HasPrefix(line, "│") || strings.HasPrefix(line, "┌") || strings.HasPrefix(line, "└") {
						if got != w {
							t.Errorf("frame line %q is %d cells wide, not %d", line, got, w)
						}
					}
				}
			})
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
