package experiment

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// LoadError says why an experiment file could not be read. Problems holds one line per
// problem (every unknown field, for instance), each starting with its field path where
// there is one.
//
// Problems are sentences, not wrapped errors, on purpose: each decoder error is rewritten
// for the person who wrote the file (its field path, what to write instead), several are
// reported at once, and no caller branches on the cause of a file that did not load.
type LoadError struct {
	Source   string
	Problems []string
}

func (e *LoadError) Error() string {
	if len(e.Problems) == 1 {
		return e.Source + ": " + e.Problems[0]
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problems:", e.Source, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  " + p)
	}
	return b.String()
}

// Load reads an Experiment from a YAML or JSON file; "-" reads standard input.
func Load(path string) (*Experiment, error) {
	return LoadFrom(path, os.Stdin)
}

// LoadFrom is Load with the reader "-" stands for, so commands read their own input
// stream (and tests can feed one).
func LoadFrom(path string, stdin io.Reader) (*Experiment, error) {
	var data []byte
	var err error
	source := path
	if path == "-" {
		source = "<stdin>"
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, &LoadError{Source: source, Problems: []string{fmt.Sprintf("cannot read the file: %v", unwrapPathError(err))}}
	}
	return Parse(data, source)
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Parse decodes one Katib v1beta1 Experiment from YAML or JSON. source names the input in
// errors (a file name).
//
// A file may hold several YAML documents: documents of other kinds (a ConfigMap with the
// trial template, a Namespace) are skipped, and exactly one Experiment must remain, so a
// file never silently runs the wrong experiment.
//
// Decoding is strict, as the API server's is for a CRD with a schema: every unknown or
// duplicated field is reported with its path, all at once. Inside trialTemplate.trialSpec
// anything goes, because that is the user's workload, judged by its own API later.
func Parse(data []byte, source string) (*Experiment, error) {
	docs, err := splitDocuments(data)
	if err != nil {
		return nil, &LoadError{Source: source, Problems: []string{fmt.Sprintf("is not valid YAML or JSON: %v", err)}}
	}
	var found [][]byte
	var others []string
	for i, doc := range docs {
		where := ""
		if len(docs) > 1 {
			where = fmt.Sprintf("document %d ", i+1)
		}
		if dups := duplicateKeys(doc); len(dups) > 0 {
			return nil, &LoadError{Source: source, Problems: []string{fmt.Sprintf("%shas a duplicate key (%s); keep only one", where, strings.Join(dups, ", "))}}
		}
		js, err := yaml.YAMLToJSONStrict(doc)
		if err != nil {
			return nil, &LoadError{Source: source, Problems: []string{fmt.Sprintf("%sis not valid YAML or JSON: %v", where, cleanYAMLError(err))}}
		}
		if bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
			continue
		}
		var tm struct {
			APIVersion string            `json:"apiVersion"`
			Kind       string            `json:"kind"`
			Items      []json.RawMessage `json:"items"`
		}
		if err := yaml.Unmarshal(js, &tm); err != nil {
			return nil, &LoadError{Source: source, Problems: []string{"must hold a Kubernetes object (a mapping with apiVersion and kind), not " + describeJSON(js)}}
		}
		objs := [][]byte{js}
		if tm.Kind == "List" {
			// What `kubectl get experiments -o yaml` writes: the objects are its items.
			objs = objs[:0]
			for _, item := range tm.Items {
				objs = append(objs, item)
			}
		}
		for _, obj := range objs {
			var it struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
			}
			_ = json.Unmarshal(obj, &it)
			if it.Kind != KindExp {
				others = append(others, kindName(it.APIVersion, it.Kind))
				continue
			}
			if it.APIVersion != APIVersion {
				return nil, &LoadError{Source: source, Problems: []string{fmt.Sprintf(
					"apiVersion: Unsupported value: %q: kubectl katib reads Katib %s Experiments; convert the file to apiVersion %s", it.APIVersion, APIVersion, APIVersion)}}
			}
			found = append(found, obj)
		}
	}
	switch {
	case len(found) == 0 && len(others) == 0:
		return nil, &LoadError{Source: source, Problems: []string{"is empty; give a Katib Experiment (apiVersion: " + APIVersion + ", kind: Experiment)"}}
	case len(found) == 0:
		return nil, &LoadError{Source: source, Problems: []string{fmt.Sprintf(
			"holds %s but no Experiment; give a Katib Experiment (apiVersion: %s, kind: Experiment)", strings.Join(others, ", "), APIVersion)}}
	case len(found) > 1:
		return nil, &LoadError{Source: source, Problems: []string{fmt.Sprintf(
			"holds %d Experiments; put each experiment in a file of its own", len(found))}}
	}
	return decodeStrict(found[0], source)
}

func kindName(apiVersion, kind string) string {
	if kind == "" {
		return "a document without kind"
	}
	if apiVersion == "" {
		return "a " + kind
	}
	return fmt.Sprintf("a %s (%s)", kind, apiVersion)
}

func describeJSON(js []byte) string {
	s := strings.TrimSpace(string(js))
	switch {
	case strings.HasPrefix(s, "["):
		return "a list"
	case strings.HasPrefix(s, `"`):
		return "a string"
	default:
		return "a scalar"
	}
}

// splitDocuments splits a YAML stream at its "---" separators; JSON is one document.
func splitDocuments(data []byte) ([][]byte, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if err == io.EOF {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(doc)) > 0 {
			docs = append(docs, doc)
		}
	}
}

// duplicateKeys lists every key written twice in one mapping of a YAML document, in the
// words the strict decoder would use ("line 12: key \"maxTrialCount\" already set in map").
// That decoder refuses such a document too, but only inside a catch-all error whose one
// distinguishing mark is its text; the parsed tree tells the case apart by itself. A
// document this parser cannot read yields nothing here and is left to the decoder to report.
func duplicateKeys(doc []byte) []string {
	var root yamlv3.Node
	if err := yamlv3.Unmarshal(doc, &root); err != nil {
		return nil
	}
	var dups []string
	var walk func(n *yamlv3.Node)
	walk = func(n *yamlv3.Node) {
		if n.Kind == yamlv3.MappingNode {
			// A key is its resolved tag and text: 1 and "1" are different keys.
			seen := map[[2]string]bool{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if k.Kind != yamlv3.ScalarNode {
					continue
				}
				id := [2]string{k.ShortTag(), k.Value}
				if seen[id] {
					key := k.Value
					if k.ShortTag() == "!!str" {
						key = strconv.Quote(key)
					}
					dups = append(dups, fmt.Sprintf("line %d: key %s already set in map", k.Line, key))
				}
				seen[id] = true
			}
		}
		// Aliases are not followed: the mapping they name is walked where it is defined.
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&root)
	return dups
}

func cleanYAMLError(err error) string {
	return strings.TrimPrefix(strings.TrimPrefix(err.Error(), "error converting YAML to JSON: "), "yaml: ")
}

// decodeStrict decodes with the API server's rules (case-sensitive field names) and turns
// every strict error into a line with its field path.
func decodeStrict(js []byte, source string) (*Experiment, error) {
	// The decoder stops at the first wrongly typed value and then forgets the unknown
	// fields it saw; walking the document against the types first reports them all.
	if problems := checkDocument(js); len(problems) > 0 {
		return nil, &LoadError{Source: source, Problems: problems}
	}
	e := &Experiment{}
	strictErrs, err := kjson.UnmarshalStrict(js, e)
	if err != nil {
		return nil, &LoadError{Source: source, Problems: []string{decodeProblem(err)}}
	}
	if len(strictErrs) > 0 {
		problems := make([]string, 0, len(strictErrs))
		for _, se := range strictErrs {
			var fe kjson.FieldError
			if errors.As(se, &fe) && strings.HasPrefix(fe.FieldPath(), "status.") {
				continue // see checkDocument: status is output, never judged
			}
			problems = append(problems, strictProblem(se))
		}
		if len(problems) > 0 {
			sort.Strings(problems)
			return nil, &LoadError{Source: source, Problems: problems}
		}
	}
	return e, nil
}

func strictProblem(err error) string {
	var fe kjson.FieldError
	if errors.As(err, &fe) {
		msg := err.Error()
		path := fe.FieldPath()
		switch {
		case strings.Contains(msg, "unknown field"):
			return path + ": unknown field; remove it or fix its spelling (field names are case-sensitive)"
		case strings.Contains(msg, "duplicate field"):
			return path + ": duplicate field; keep only one"
		}
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// decodeProblem rewrites the JSON decoder's type errors ("cannot unmarshal number into Go
// struct field FeasibleSpace.spec.parameters.feasibleSpace.min of type string") into the
// field path and what to write instead.
func decodeProblem(err error) string {
	// trialSpec is the only unstructured object in an Experiment, and the only part that
	// decodes through apimachinery, whose missing-kind error this is.
	if runtime.IsMissingKind(err) {
		return "spec.trialTemplate.trialSpec.kind: Required value: the trial template needs apiVersion and kind (batch/v1 Job or v1 Pod)"
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	const prefix = "cannot unmarshal "
	if !strings.HasPrefix(msg, prefix) {
		return msg
	}
	// "<jsontype> into Go struct field <Type>.<path> of type <gotype>"
	rest := strings.TrimPrefix(msg, prefix)
	jsType, rest, ok1 := strings.Cut(rest, " into Go struct field ")
	field, goType, ok2 := strings.Cut(rest, " of type ")
	if !ok1 || !ok2 {
		return msg
	}
	if _, p, ok := strings.Cut(field, "."); ok {
		field = p
	}
	want := map[string]string{
		"string": "a string", "int32": "an integer", "int64": "an integer", "int": "an integer",
		"float64": "a number", "bool": "true or false",
	}[goType]
	if want == "" {
		if strings.HasPrefix(goType, "[]") {
			want = "a list"
		} else {
			want = "an object"
		}
	}
	hint := ""
	if goType == "string" && jsType == "number" {
		hint = `; Katib keeps numbers in this field as strings, so quote it (e.g. "0.01")`
	}
	return fmt.Sprintf("%s: must be %s, not a %s%s", field, want, jsType, hint)
}
