package arch

import (
	"fmt"
	"strings"
)

// Explanation kinds, the "kind" field of -o json|yaml for `explain TOPIC`.
const (
	KindComponent = "ComponentExplanation"
	KindConcept   = "ConceptExplanation"
	KindResource  = "ResourceExplanation"
)

// TopicExplanation is a component or concept with what this cluster shows of it.
type TopicExplanation struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Offline    bool   `json:"offline"`
	Entry      Entry  `json:"entry"`
	// Live holds the facts found in the cluster; empty offline.
	Live *LiveFacts `json:"live,omitempty"`
}

// LiveFacts are the parts of the model a topic is about.
type LiveFacts struct {
	Component       *Component `json:"component,omitempty"`
	Nodes           []Node     `json:"nodes,omitempty"`
	AddOns          []AddOn    `json:"addOns,omitempty"`
	CustomResources []CRDGroup `json:"customResources,omitempty"`
	APIGroups       int        `json:"apiGroups,omitempty"`
	// AggregatedGroups are the groups kube-apiserver forwards to extension API servers.
	AggregatedGroups []APIGroup `json:"aggregatedGroups,omitempty"`
	Webhooks         []Webhook  `json:"webhooks,omitempty"`
	// OperatorsInferred is false when operators could not be looked for.
	OperatorsInferred bool     `json:"operatorsInferred,omitempty"`
	Warnings          []string `json:"warnings,omitempty"`
	Notes             []string `json:"notes,omitempty"`
}

// ResourceExplanation is a resource kind: its API facts, schema and who acts on it.
type ResourceExplanation struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Resource   Resource `json:"resource"`
	BuiltIn    bool     `json:"builtIn"`
	// Aggregated is set when an extension API server, not kube-apiserver, serves the group.
	Aggregated       *AggregatedAPI `json:"aggregated,omitempty"`
	GroupDescription string         `json:"groupDescription,omitempty"`
	Concept          *Entry         `json:"concept,omitempty"`
	Schema           *KindSchema    `json:"schema,omitempty"`
	SchemaNote       string         `json:"schemaNote,omitempty"`
	ActedOnBy        []ChainStep    `json:"actedOnBy"`
	// Path is the chain in one line: Deployment -> deployment controller -> ReplicaSet ...
	Path []string `json:"path"`
	CRD  *CRD     `json:"crd,omitempty"`
	// Webhooks are the admission webhooks called when the resource is written.
	Webhooks []Webhook `json:"webhooks,omitempty"`
	// OperatorsInferred is false when operators could not be looked for.
	OperatorsInferred bool `json:"operatorsInferred"`
	// FieldPath is the dotted path asked for (pod.spec.containers), empty for the kind.
	FieldPath string `json:"fieldPath,omitempty"`
}

// ExplainTopic gathers a component or concept with its live facts from m.
func ExplainTopic(m *Model, e *Entry) *TopicExplanation {
	kind := KindComponent
	if KB().IsConcept(e) {
		kind = KindConcept
	}
	t := &TopicExplanation{APIVersion: SchemaVersion, Kind: kind, Offline: m.Offline, Entry: *e}
	if m.Offline {
		return t
	}
	live := &LiveFacts{}
	switch e.Name {
	case "kubelet", "container-runtime":
		live.Nodes = m.Nodes
	case "kube-proxy", "coredns", "cni", "metrics-server":
		for _, a := range m.AddOns {
			if a.Component == e.Name {
				live.AddOns = append(live.AddOns, a)
			}
		}
		if e.Name == "metrics-server" {
			live.AggregatedGroups = aggregatedGroups(m, "metrics.k8s.io")
		}
	case "crd", "operator", "controller":
		live.CustomResources = m.CustomResources
		if e.Name == "controller" {
			live.Component = m.Component("kube-controller-manager")
		}
	case "api-group":
		live.APIGroups = len(m.APIGroups)
		live.AggregatedGroups = aggregatedGroups(m, "")
	case "admission-webhook":
		live.Webhooks = m.Webhooks
	default:
		live.Component = m.Component(e.Name)
	}
	live.Warnings = m.Warnings
	live.Notes = m.Notes
	live.OperatorsInferred = m.Cluster.OperatorsInferred
	t.Live = live
	return t
}

// SelectField narrows a schema to the field at path (spec.containers), as kubectl explain
// does for pod.spec.containers.
func SelectField(s *KindSchema, path []string) (*KindSchema, error) {
	fields := s.Fields
	var cur *Field
	for depth, p := range path {
		found := false
		for i := range fields {
			if fields[i].Name == p {
				cur = &fields[i]
				fields = cur.Fields
				found = true
				break
			}
		}
		if !found {
			return nil, missingField(p, path[:depth], fields)
		}
	}
	if cur == nil {
		return s, nil
	}
	return &KindSchema{Description: cur.Description, Fields: cur.Fields, Open: cur.Open}, nil
}

// aggregatedGroups are the model's groups served by extension API servers; name "" means
// all of them.
func aggregatedGroups(m *Model, name string) []APIGroup {
	var out []APIGroup
	for _, g := range m.APIGroups {
		if g.Aggregated != nil && (name == "" || g.Name == name) {
			out = append(out, g)
		}
	}
	return out
}

// missingField names the fields that do exist where the path went wrong, as the next thing
// to type.
func missingField(name string, parent []string, fields []Field) error {
	where := "at the top level"
	if len(parent) > 0 {
		where = "under " + strings.Join(parent, ".")
	}
	if len(fields) == 0 {
		return fmt.Errorf("field %q does not exist: %s has no fields of its own", name, strings.TrimPrefix(where, "under "))
	}
	names := make([]string, 0, len(fields))
	for _, f := range fields {
		names = append(names, f.Name)
	}
	return fmt.Errorf("field %q does not exist; fields %s: %s", name, where, strings.Join(names, ", "))
}
