package arch_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kubectl-katib/plugins/internal/golden"
	"github.com/kubectl-katib/plugins/pkg/arch"
	"github.com/kubectl-katib/plugins/pkg/arch/archtest"
	"github.com/kubectl-katib/plugins/pkg/arch/present"
	"github.com/kubectl-katib/plugins/pkg/render"
)

func TestFindingsNameWhatIsWrong(t *testing.T) {
	m := discover(t, archtest.Troubled())
	got := map[string]arch.Finding{}
	for _, f := range m.Findings {
		got[f.Kind+" "+f.Namespace+"/"+f.Name] = f
	}
	want := []struct {
		key, severity, reason, message string
	}{
		{"Node /pool-a-2", "error", "NotReady", "NodeStatusUnknown: Kubelet stopped posting node status"},
		{"Pod shop/worker-7f9c", "error", "CrashLoopBackOff", "container worker restarted 7 times; last exit: Error (exit code 1)"},
		{"Pod ml/huge", "warning", "Unschedulable", "0/3 nodes are available: 1 node(s) had untolerated taint"},
		{"Deployment shop/api", "error", "ProgressDeadlineExceeded", "1 of 3 replicas available; ReplicaSet \"api-5d8f\" has timed out progressing"},
		{"CertificateSigningRequest /node-csr-expiring", "warning", "CertificateExpiring", "expires at 2026-12-02T04:00:00Z, in 10 days"},
	}
	for _, w := range want {
		f, ok := got[w.key]
		if !ok {
			t.Errorf("no finding for %s in %+v", w.key, m.Findings)
			continue
		}
		if f.Severity != w.severity || f.Reason != w.reason || !strings.Contains(f.Message, w.message) {
			t.Errorf("%s: %+v, want %s %s %q", w.key, f, w.severity, w.reason, w.message)
		}
	}
	if len(m.Findings) != len(want) {
		t.Errorf("%d findings, want %d: %+v", len(m.Findings), len(want), m.Findings)
	}
	if m.Findings[0].Severity != "error" || m.Findings[len(m.Findings)-1].Severity != "warning" {
		t.Errorf("errors should come first: %+v", m.Findings)
	}

	var buf bytes.Buffer
	if err := present.WriteOverview(&buf, m, render.Style{Width: 80}); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	i := strings.Index(text, "\nFindings\n")
	if i < 0 {
		t.Fatalf("no Findings section:\n%s", text)
	}
	section := text[i:]
	section = section[:strings.Index(section, "\nWhat each part does")]
	checkWidth(t, section, 80)
	golden.Assert(t, "arch/findings.golden", []byte(section))
}

func TestNoFindingsSaysSo(t *testing.T) {
	m := discover(t, archtest.Kubeadm())
	var buf bytes.Buffer
	_ = present.WriteOverview(&buf, m, render.Style{Width: 80})
	if len(m.Findings) != 1 || m.Findings[0].Name != "cert-operator" {
		t.Errorf("only the Deployment without replicas should be named: %+v", m.Findings)
	}
	m.Findings = nil
	buf.Reset()
	_ = present.WriteOverview(&buf, m, render.Style{Width: 80})
	if !strings.Contains(buf.String(), "Nothing wrong found") {
		t.Errorf("an empty findings section should say so")
	}
}
