package present

import (
	"fmt"
	"io"
	"strings"

	"github.com/kubectl-katib/plugins/pkg/arch"
	"github.com/kubectl-katib/plugins/pkg/render"
)

// WriteResource prints a resource's API facts, who acts on it and its schema fields.
func WriteResource(w io.Writer, r *arch.ResourceExplanation, recursive bool, st render.Style) error {
	res := r.Resource
	gv := res.Version
	if res.Group != "" {
		gv = res.Group + "/" + res.Version
	}
	fmt.Fprintf(w, "%s  %s\n", st.Bold("KIND: "+res.Kind), st.Dim("("+gv+")"))
	scope := "namespaced"
	if !res.Namespaced {
		scope = "cluster-scoped"
	}
	origin := "built-in"
	switch {
	case r.Aggregated != nil:
		origin = "served by the extension API server behind Service " + r.Aggregated.Service
		if !r.Aggregated.Available {
			origin += " (unavailable)"
		}
	case !r.BuiltIn:
		origin = "custom (CustomResourceDefinition)"
	}
	fmt.Fprintf(w, "RESOURCE: %s, %s, %s\n", res.Name, scope, origin)
	if len(res.ShortNames) > 0 {
		fmt.Fprintf(w, "SHORT NAMES: %s\n", strings.Join(res.ShortNames, ", "))
	}
	fmt.Fprintf(w, "VERBS: %s\n", strings.Join(res.Verbs, ", "))
	if r.GroupDescription != "" {
		group := res.Group
		if group == "" {
			group = "core"
		}
		render.Paragraph(w, st, 0, fmt.Sprintf("GROUP %s: %s", group, r.GroupDescription))
	}
	if a := r.Aggregated; a != nil && r.Concept == nil {
		section(w, st, "What it is")
		group := res.Group
		render.Paragraph(w, st, 2, fmt.Sprintf("A resource of an aggregated API: kube-apiserver authenticates and authorises each request for %s, then forwards it to the extension API server behind Service %s, which answers it. The objects live wherever that server keeps them, not necessarily in etcd, and the group works only while that server does.", group, a.Service))
		if !a.Available {
			render.Paragraph(w, st, 2, fmt.Sprintf("Now: not available (%s: %s).", a.Reason, strings.TrimSuffix(a.Message, ".")))
		}
		fmt.Fprintf(w, "  Docs: %s\n", aggregationDocs)
	} else if r.Concept == nil && !r.BuiltIn {
		crd := arch.KB().Component("crd")
		op := arch.KB().Component("operator")
		section(w, st, "What it is")
		render.Paragraph(w, st, 2, fmt.Sprintf("A custom resource: a CustomResourceDefinition added %s to the API. %s %s", res.Kind, op.Summary, firstSentences(op.Does, 2)))
		fmt.Fprintf(w, "  Docs: %s\n        %s\n", crd.Docs, op.Docs)
	}
	if r.Concept != nil {
		section(w, st, "What it is")
		render.Paragraph(w, st, 2, r.Concept.Summary+" "+r.Concept.Does)
		fmt.Fprintf(w, "  Docs: %s\n", r.Concept.Docs)
	}
	if r.Schema != nil && r.Schema.Description != "" && r.FieldPath == "" {
		section(w, st, "Description")
		render.Paragraph(w, st, 2, r.Schema.Description)
	}
	section(w, st, "Who acts on it")
	if len(r.Path) > 1 {
		render.Paragraph(w, st, 2, "In short: "+strings.Join(r.Path, " -> "))
		fmt.Fprintln(w)
	}
	render.Paragraph(w, st, 2, "you or a client -> kube-apiserver (authenticates, authorises, admits, stores it in etcd)")
	for _, h := range r.Webhooks {
		render.Paragraph(w, st, 4, fmt.Sprintf("- calls the %s webhook %s (failurePolicy %s) on %s; answered by %s", h.Kind, h.Name,
			h.FailurePolicy, strings.Join(h.Intercepts, "; "), h.Answerer()))
	}
	if r.CRD != nil {
		if r.CRD.Operator != nil {
			render.Paragraph(w, st, 2, fmt.Sprintf("-> operator %s %s (%s)", strings.ToLower(r.CRD.Operator.Kind), r.CRD.Operator.Ref(), strings.Join(r.CRD.Operator.Evidence, "; ")))
			for _, c := range r.CRD.Candidates {
				render.Paragraph(w, st, 4, fmt.Sprintf("also possible: %s %s (%s)", strings.ToLower(c.Kind), c.Ref(), strings.Join(c.Evidence, "; ")))
			}
		} else if !r.OperatorsInferred {
			render.Paragraph(w, st, 2, "-> operator unknown: Deployments or RBAC are not readable with these credentials")
		} else {
			render.Paragraph(w, st, 2, "-> operator unknown: no Deployment, StatefulSet or DaemonSet is allowed to write it, serves its webhooks or shares its labels; without one, objects are stored but nothing acts on them")
		}
	}
	for _, s := range r.ActedOnBy {
		actor := s.Actor
		if s.In != "" {
			actor += " (" + s.In + ")"
		}
		render.Paragraph(w, st, 2, fmt.Sprintf("-> %s %s", actor, s.Does))
	}
	if r.CRD == nil && len(r.ActedOnBy) == 0 {
		render.Paragraph(w, st, 2, "-> no controller is known to act on it: it is data that clients and components read")
	}
	title := "Fields"
	if r.FieldPath != "" {
		title = "Fields of " + r.FieldPath
	}
	section(w, st, title)
	switch {
	case r.Schema == nil:
		render.Paragraph(w, st, 2, r.SchemaNote)
	default:
		if r.Schema.Open {
			render.Paragraph(w, st, 2, "Schema-less: the kind accepts any fields (x-kubernetes-preserve-unknown-fields), so the API server stores whatever is sent and only the operator gives the fields meaning.")
			fmt.Fprintln(w)
		}
		if r.SchemaNote != "" {
			render.Paragraph(w, st, 2, r.SchemaNote)
		}
		writeFields(w, r.Schema.Fields, recursive, 1, st)
	}
	return nil
}

func writeFields(w io.Writer, fields []arch.Field, recursive bool, depth int, st render.Style) {
	indent := strings.Repeat("  ", depth)
	for _, f := range fields {
		req := ""
		if f.Required {
			req = " -required-"
		}
		open := ""
		if f.Open {
			open = " (any fields)"
		}
		fmt.Fprintf(w, "%s%s\t<%s>%s%s\n", indent, st.Bold(f.Name), f.Type, req, open)
		if recursive {
			writeFields(w, f.Fields, true, depth+1, st)
			continue
		}
		if f.Description != "" {
			render.Paragraph(w, st, len(indent)+2, firstSentences(f.Description, 2))
		}
		fmt.Fprintln(w)
	}
}

const aggregationDocs = "https://kubernetes.io/docs/concepts/extend-kubernetes/api-extension/apiserver-aggregation/"
