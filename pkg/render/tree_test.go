package render

import (
	"bytes"
	"strings"
	"testing"
)

func TestTreeTable(t *testing.T) {
	root := &TreeNode{Label: "Deployment/web", Columns: []string{"2/2", "Available", "5m"}, Status: "ok", Children: []*TreeNode{
		{Label: "ReplicaSet/web-1", Columns: []string{"2/2", "", "5m"}, Children: []*TreeNode{
			{Label: "Pod/web-1-a", Columns: []string{"0/1", "CrashLoopBackOff", "5m"}, Status: "failing", Details: []string{"restarted 4 times"}},
		}},
		{Relation: "selected by", Label: "Service/web-with-a-rather-long-name-that-will-not-fit", Columns: []string{"", "ClusterIP: 80/TCP,443/TCP,8080/TCP", "5m"}},
	}}
	var b bytes.Buffer
	if err := TreeTable(&b, []string{"NAME", "READY", "STATUS", "AGE"}, 1, []*TreeNode{root}, Style{Width: 60}); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	want := []string{
		"NAME ",
		"Deployment/web ",
		"├─ ReplicaSet/web-1 ",
		"│  └─ Pod/web-1-a ",
		"│        restarted 4 times",
		"└─ selected by Service/web-with…",
	}
	lines := strings.Split(strings.TrimRight(got, "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d lines:\n%s", len(lines), got)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d = %q, want prefix %q", i, lines[i], w)
		}
		if Width(lines[i]) > 60 {
			t.Errorf("line %d is %d cells wide: %q", i, Width(lines[i]), lines[i])
		}
	}
	if strings.Contains(got, "\x1b[") {
		t.Error("colour codes without colour")
	}
	b.Reset()
	if err := TreeTable(&b, []string{"NAME", "READY", "STATUS", "AGE"}, 1, []*TreeNode{root}, Style{Width: 70, Color: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), ansiRed+"CrashLoopBackOff"+ansiReset) {
		t.Errorf("failing status not red:\n%q", b.String())
	}
}
