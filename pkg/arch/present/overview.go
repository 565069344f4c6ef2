// Package present turns the architecture model into what people read: the text of explain,
// capacity and the API listings, and the diagram every drawing format shares. Nothing here
// reads the cluster or infers from it.
package present

import (
	"fmt"
	"io"
	"strings"

	"github.com/kubectl-katib/plugins/pkg/arch"
	"github.com/kubectl-katib/plugins/pkg/render"
)

func section(w io.Writer, st render.Style, title string) {
	fmt.Fprintf(w, "\n%s\n", st.Heading(title))
}

// WriteOverview prints the diagram and a short explanation of each part present.
func WriteOverview(w io.Writer, m *arch.Model, st render.Style) error {
	if err := render.Boxes(w, Graph(m), st); err != nil {
		return err
	}
	writeFindings(w, m, st)
	kb := arch.KB()
	section(w, st, "What each part does")
	var names []string
	for _, c := range m.ControlPlane {
		names = append(names, c.Name)
	}
	if len(m.Nodes) > 0 {
		names = append(names, "kubelet", "container-runtime")
	}
	seen := map[string]bool{}
	for _, a := range m.AddOns {
		if a.Component != "add-on" && !seen[a.Component] {
			seen[a.Component] = true
			names = append(names, a.Component)
		}
	}
	for _, n := range names {
		e := kb.Component(n)
		fmt.Fprintf(w, "  %s\n", st.Bold(e.Name))
		render.Paragraph(w, st, 4, e.Summary)
	}
	if len(m.APIGroups) > 0 {
		e := kb.Component("api-group")
		fmt.Fprintf(w, "  %s\n", st.Bold("API groups"))
		builtIn := 0
		for _, g := range m.APIGroups {
			if g.BuiltIn {
				builtIn++
			}
		}
		here := fmt.Sprintf(" This cluster serves %d built-in and %d custom groups;", builtIn, len(m.APIGroups)-builtIn)
		if m.Offline {
			here = ""
		}
		render.Paragraph(w, st, 4, e.Summary+here+" kubectl arch api-versions lists them and kubectl arch api-resources their kinds.")
	}
	if len(m.Webhooks) > 0 {
		e := kb.Component("admission-webhook")
		fmt.Fprintf(w, "  %s\n", st.Bold("admission webhooks"))
		render.Paragraph(w, st, 4, e.Summary+" With failurePolicy Fail, a webhook that cannot answer blocks the writes it matches.")
		for _, h := range m.Webhooks {
			render.Paragraph(w, st, 4, "- "+webhookLine(h))
		}
	}
	if len(m.CustomResources) > 0 {
		op := kb.Component("operator")
		fmt.Fprintf(w, "  %s\n", st.Bold("custom resources and operators"))
		render.Paragraph(w, st, 4, op.Summary+" "+firstSentences(op.Does, 2))
		listed, total := 0, 0
		for _, g := range m.CustomResources {
			for _, c := range g.CRDs {
				total++
				if listed < maxCRDLines {
					render.Paragraph(w, st, 4, "- "+crdLine(c, m.Cluster.OperatorsInferred))
					listed++
				}
			}
		}
		if total > listed {
			fmt.Fprintf(w, "    ... and %d more; kubectl arch explain crd lists them all.\n", total-listed)
		}
	}
	fmt.Fprintf(w, "\nMore: kubectl arch explain COMPONENT|RESOURCE|CONCEPT (etcd, pods, operator)\n")
	return nil
}

// webhookLine says in one sentence what a webhook intercepts, who answers and what happens
// when it cannot.
func webhookLine(h arch.Webhook) string {
	who := h.Answerer()
	effect := "writes it matches are refused while it cannot answer"
	if h.FailurePolicy == "Ignore" {
		effect = "writes go through unchecked while it cannot answer"
	}
	if h.Ready != "" {
		who += ", " + h.Ready + " ready"
	}
	return fmt.Sprintf("%s (%s, configuration %s): %s; answered by %s; timeout %ds, failurePolicy %s: %s.",
		h.Name, h.Kind, h.Configuration, strings.Join(h.Intercepts, "; "), who, h.TimeoutSeconds, h.FailurePolicy, effect)
}

func crdLine(c arch.CRD, inferred bool) string {
	if c.Operator == nil && !inferred {
		return fmt.Sprintf("%s (%s): operator unknown; Deployments or RBAC are not readable with these credentials.", c.Name, c.Kind)
	}
	if c.Operator == nil {
		return fmt.Sprintf("%s (%s): operator unknown; no Deployment, StatefulSet or DaemonSet is allowed to write it, serves its webhooks or shares its labels.", c.Name, c.Kind)
	}
	return fmt.Sprintf("%s (%s): reconciled by %s %s, because %s.", c.Name, c.Kind, strings.ToLower(c.Operator.Kind), c.Operator.Ref(), strings.Join(c.Operator.Evidence, "; "))
}

func firstSentences(text string, n int) string {
	parts := strings.SplitAfter(text, ". ")
	if len(parts) <= n {
		return text
	}
	return strings.TrimSpace(strings.Join(parts[:n], ""))
}

// maxCRDLines bounds the explanation of custom resources the same way.
const maxCRDLines = 10

// maxFindingLines bounds the text overview on a cluster with many broken objects; -o json
// lists every finding.
const maxFindingLines = 25

// writeFindings prints the findings section, one line per finding, at most maxFindingLines.
func writeFindings(w io.Writer, m *arch.Model, st render.Style) {
	if m.Offline {
		return
	}
	section(w, st, "Findings")
	if len(m.Findings) == 0 {
		fmt.Fprintln(w, "  Nothing wrong found in what these credentials can read.")
		return
	}
	for i, f := range m.Findings {
		if i == maxFindingLines {
			fmt.Fprintf(w, "  ... and %d more; kubectl arch explain -o json lists them all.\n", len(m.Findings)-i)
			break
		}
		// Paragraph measures plain text, so the severity is a word, not a colour.
		render.Paragraph(w, st, 2, fmt.Sprintf("- %s %s: %s: %s.", strings.ToUpper(f.Severity), f.Ref(), f.Reason, f.Message))
	}
}
