// Package archtree finds what one Kubernetes object owns and what it depends on: the
// objects its controllers created (through ownerReferences, for any kind), and the objects
// it uses or is used by (its Pods' node, service account and what that account may do,
// volumes down to the storage class, config, the Services that route to it, autoscalers
// and disruption budgets). It reads the cluster with client-go and knows nothing of flags.
package archtree

import (
	"time"
)

// SchemaVersion and DocumentKind identify the -o json|yaml document.
const (
	SchemaVersion = "arch.kubectl-katib.io/v1"
	DocumentKind  = "ObjectTree"
)

// Tree is the document `kubectl arch tree` prints. Field names are part of the -o json|yaml
// contract.
type Tree struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   Metadata `json:"metadata"`
	Root       *Node    `json:"root"`
	// Notes say what could not be read, so a partial tree is never mistaken for a whole one.
	Notes []string `json:"notes"`
}

// Metadata names the document after its root object.
type Metadata struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// Node is one object in the tree.
type Node struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion,omitempty"`
	Name       string `json:"name"`
	Namespace  string `json:"namespace,omitempty"`
	// Relation says how the object relates to its parent; see the Rel constants.
	Relation string     `json:"relation,omitempty"`
	Status   Status     `json:"status"`
	Created  *time.Time `json:"created,omitempty"`
	// Details are facts too long for the status, such as what a role allows.
	Details []string `json:"details,omitempty"`
	// Seen marks an object already drawn, with its children, elsewhere in the tree.
	Seen     bool    `json:"seen,omitempty"`
	Children []*Node `json:"children,omitempty"`
}

// Status is how an object is doing, in the words kubectl get uses.
type Status struct {
	// Ready is "1/1" for counts or "True"/"False" for a Ready condition; empty when the
	// kind has no readiness.
	Ready string `json:"ready,omitempty"`
	// Phase is the state (Running, Bound, Available); Reason says why when it is not well.
	Phase   string `json:"phase,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	// Health is "ok", "progressing", "failing", or empty when nothing can be said.
	Health string `json:"health,omitempty"`
}

// Relations, read as "parent RELATION child".
const (
	RelOwns         = "owns"
	RelRunsOn       = "runs on"
	RelRunsAs       = "runs as"
	RelBoundBy      = "bound by"
	RelGrants       = "grants"
	RelMounts       = "mounts"
	RelEnvFrom      = "env from"
	RelPullsWith    = "pulls with"
	RelBoundTo      = "bound to"
	RelStorageClass = "class"
	RelClaimedBy    = "claimed by"
	RelRoutesTo     = "routes to"
	RelSelectedBy   = "selected by"
	RelScaledBy     = "scaled by"
	RelProtectedBy  = "protected by"
	RelScales       = "scales"
	RelProtects     = "protects"
	RelUsedBy       = "used by"
)

// Walk calls fn for n and every descendant, depth first, with each node's parent.
func (n *Node) Walk(fn func(n, parent *Node)) {
	var walk func(n, parent *Node)
	walk = func(n, parent *Node) {
		fn(n, parent)
		for _, c := range n.Children {
			walk(c, n)
		}
	}
	walk(n, nil)
}
