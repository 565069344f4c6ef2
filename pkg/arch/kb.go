package arch

import (
	"embed"
	"fmt"
	"sort"
	"strings"
	"sync"

	"sigs.k8s.io/yaml"
)

//go:embed knowledge/*.yaml
var knowledgeFS embed.FS

// Entry is one component or concept of the knowledge base.
type Entry struct {
	Name        string       `json:"name"`
	Aliases     []string     `json:"aliases,omitempty"`
	Layer       string       `json:"layer,omitempty"`
	Resource    string       `json:"resource,omitempty"`
	Title       string       `json:"title"`
	Summary     string       `json:"summary"`
	Does        string       `json:"does"`
	TalksTo     []string     `json:"talksTo,omitempty"`
	Controllers []Controller `json:"controllers,omitempty"`
	WhenItFails string       `json:"whenItFails"`
	Symptom     string       `json:"symptom"`
	Docs        string       `json:"docs"`
}

// Controller is one control loop inside kube-controller-manager.
type Controller struct {
	Name string `json:"name"`
	Does string `json:"does"`
}

// Step is one actor in a resource's "who acts on it" chain.
type Step struct {
	Actor    string `json:"actor"`
	In       string `json:"in,omitempty"`
	Does     string `json:"does"`
	Produces string `json:"produces,omitempty"`
}

// Knowledge is the embedded knowledge base.
type Knowledge struct {
	Components []Entry           `json:"components"`
	Concepts   []Entry           `json:"concepts"`
	Groups     map[string]string `json:"groups"`
	Chains     map[string][]Step `json:"chains"`
	index      map[string]*Entry
}

var (
	kbOnce sync.Once
	kb     *Knowledge
	kbErr  error
)

// KB returns the knowledge base, parsed once. The YAML is part of the binary, so an error
// here is a bug caught by the package's tests, not something a user can cause.
func KB() *Knowledge {
	kbOnce.Do(func() { kb, kbErr = loadKnowledge() })
	if kbErr != nil {
		panic(kbErr)
	}
	return kb
}

func loadKnowledge() (*Knowledge, error) {
	k := &Knowledge{index: map[string]*Entry{}}
	read := func(name string, into any) error {
		b, err := knowledgeFS.ReadFile("knowledge/" + name)
		if err != nil {
			return err
		}
		if err := yaml.UnmarshalStrict(b, into); err != nil {
			return fmt.Errorf("knowledge/%s: %w", name, err)
		}
		return nil
	}
	if err := read("components.yaml", &k.Components); err != nil {
		return nil, err
	}
	if err := read("concepts.yaml", &k.Concepts); err != nil {
		return nil, err
	}
	if err := read("groups.yaml", &k.Groups); err != nil {
		return nil, err
	}
	if err := read("chains.yaml", &k.Chains); err != nil {
		return nil, err
	}
	for _, list := range [][]Entry{k.Components, k.Concepts} {
		for i := range list {
			e := &list[i]
			for _, key := range append([]string{e.Name}, e.Aliases...) {
				key = strings.ToLower(key)
				if _, dup := k.index[key]; dup {
					return nil, fmt.Errorf("knowledge: %q names two entries", key)
				}
				k.index[key] = e
			}
		}
	}
	return k, nil
}

// Lookup finds a component or concept by name or alias, case-insensitively.
func (k *Knowledge) Lookup(name string) (*Entry, bool) {
	e, ok := k.index[strings.ToLower(name)]
	return e, ok
}

// IsConcept reports whether e is a concept rather than a component.
func (k *Knowledge) IsConcept(e *Entry) bool {
	for i := range k.Concepts {
		if &k.Concepts[i] == e {
			return true
		}
	}
	return false
}

// Component returns the component entry of that exact name; it panics on a name the
// knowledge base lacks, since callers only use names that the tests check.
func (k *Knowledge) Component(name string) *Entry {
	e, ok := k.Lookup(name)
	if !ok {
		panic("knowledge base has no entry " + name)
	}
	return e
}

// Topics lists every name `explain` accepts from the knowledge base, for help and completion.
func (k *Knowledge) Topics() []string {
	var names []string
	for _, e := range k.Components {
		names = append(names, e.Name)
	}
	for _, e := range k.Concepts {
		names = append(names, e.Name)
	}
	sort.Strings(names)
	return names
}

// GroupDescription is the one-line explanation of an API group, or "" for unknown groups.
func (k *Knowledge) GroupDescription(group string) string { return k.Groups[group] }

// Chain expands the chain of resource, following `produces` links once each.
func (k *Knowledge) Chain(resource string) []ChainStep {
	var out []ChainStep
	seen := map[string]bool{}
	var walk func(r string)
	walk = func(r string) {
		if seen[r] {
			return
		}
		seen[r] = true
		for _, s := range k.Chains[r] {
			out = append(out, ChainStep{Resource: r, Step: s})
			if s.Produces != "" {
				walk(s.Produces)
			}
		}
	}
	walk(resource)
	return out
}

// ChainStep is a Step with the resource it acts on.
type ChainStep struct {
	Resource string `json:"resource"`
	Step
}
