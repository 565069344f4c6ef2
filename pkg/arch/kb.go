package arch

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"sigs.k8s.io/yaml"
)

// The YAML files are the knowledge base's source, written for people to review and extend;
// knowledge.json is the same data generated from them (`make golden`). Every command reads the
// knowledge base as it starts, and decoding JSON takes a fifth of the time that YAML does; a
// unit test fails when the two differ.
//
//go:embed knowledge/*.yaml knowledge/knowledge.json
var knowledgeFS embed.FS

// KnowledgeJSON is where the generated copy lives, relative to this package.
const KnowledgeJSON = "knowledge/knowledge.json"

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

// KB returns the knowledge base, parsed once. The data is part of the binary, so an error
// here is a bug caught by the package's tests, not something a user can cause.
func KB() *Knowledge {
	kbOnce.Do(func() { kb, kbErr = loadKnowledge() })
	if kbErr != nil {
		panic(kbErr)
	}
	return kb
}

func loadKnowledge() (*Knowledge, error) {
	b, err := knowledgeFS.ReadFile(KnowledgeJSON)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	k := &Knowledge{}
	if err := dec.Decode(k); err != nil {
		return nil, fmt.Errorf("%s: %w", KnowledgeJSON, err)
	}
	return k, k.buildIndex()
}

// KnowledgeFromYAML parses the YAML sources strictly. It is what knowledge.json is made from,
// and what the test that keeps the two in step compares against.
func KnowledgeFromYAML() (*Knowledge, error) {
	k := &Knowledge{}
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
	return k, k.buildIndex()
}

// buildIndex maps every name and alias to its entry, refusing a name used twice.
func (k *Knowledge) buildIndex() error {
	k.index = map[string]*Entry{}
	for _, list := range [][]Entry{k.Components, k.Concepts} {
		for i := range list {
			e := &list[i]
			for _, key := range append([]string{e.Name}, e.Aliases...) {
				key = strings.ToLower(key)
				if _, dup := k.index[key]; dup {
					return fmt.Errorf("knowledge: %q names two entries", key)
				}
				k.index[key] = e
			}
		}
	}
	return nil
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
