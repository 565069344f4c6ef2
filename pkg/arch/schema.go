package arch

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// SpecSource returns a group version's OpenAPI v3 document as a map; client-go's
// openapi3.Root does, and tests answer it from fixtures.
type SpecSource interface {
	GVSpecAsMap(gv schema.GroupVersion) (map[string]any, error)
}

// Field is one field of a kind's schema.
type Field struct {
	Name        string  `json:"name"`
	Type        string  `json:"type"`
	Description string  `json:"description,omitempty"`
	Required    bool    `json:"required,omitempty"`
	Fields      []Field `json:"fields,omitempty"`
	// Open marks objects that accept any fields (x-kubernetes-preserve-unknown-fields).
	Open bool `json:"open,omitempty"`
}

// maxSchemaDepth bounds --recursive on self-referencing schemas such as JSONSchemaProps.
const maxSchemaDepth = 12

type schemaWalker struct {
	schemas map[string]any
}

func refName(ref string) string { return strings.TrimPrefix(ref, "#/components/schemas/") }

func shortType(name string) string {
	if i := strings.LastIndex(name, "."); i >= 0 {
		return name[i+1:]
	}
	return name
}

// resolve follows $ref and single-element allOf wrappers, returning the schema and the
// referenced type name if any.
func (s *schemaWalker) resolve(node map[string]any) (map[string]any, string) {
	name := ""
	for range 8 {
		if ref, ok := node["$ref"].(string); ok {
			name = refName(ref)
			next, _ := s.schemas[name].(map[string]any)
			if next == nil {
				return node, name
			}
			node = next
			continue
		}
		if all, ok := node["allOf"].([]any); ok && len(all) == 1 {
			if inner, ok := all[0].(map[string]any); ok {
				if _, hasRef := inner["$ref"]; hasRef {
					desc := node["description"]
					resolved, n := s.resolve(inner)
					if desc != nil {
						copyNode := map[string]any{}
						for k, v := range resolved {
							copyNode[k] = v
						}
						copyNode["description"] = desc
						resolved = copyNode
					}
					return resolved, n
				}
			}
		}
		break
	}
	return node, name
}

// typeOf names a schema's type the way kubectl explain does: <string>, <[]Container>,
// <map[string]string>, <ObjectMeta>.
func (s *schemaWalker) typeOf(node map[string]any) string {
	resolved, name := s.resolve(node)
	t, _ := resolved["type"].(string)
	switch t {
	case "array":
		items, _ := resolved["items"].(map[string]any)
		if items == nil {
			return "[]Object"
		}
		return "[]" + s.typeOf(items)
	case "object", "":
		if ap, ok := resolved["additionalProperties"].(map[string]any); ok {
			return "map[string]" + s.typeOf(ap)
		}
		if name != "" {
			return shortType(name)
		}
		if t == "" {
			if f, _ := resolved["format"].(string); f != "" {
				return f
			}
			if _, ok := resolved["x-kubernetes-int-or-string"]; ok {
				return "IntOrString"
			}
			if _, ok := resolved["properties"]; !ok {
				return "Object"
			}
		}
		return "Object"
	}
	if name != "" && t == "string" {
		return shortType(name)
	}
	return t
}

func (s *schemaWalker) fields(node map[string]any, depth int, stack map[string]bool) []Field {
	resolved, name := s.resolve(node)
	if name != "" {
		if stack[name] {
			return nil
		}
		stack[name] = true
		defer delete(stack, name)
	}
	if t, _ := resolved["type"].(string); t == "array" {
		if items, ok := resolved["items"].(map[string]any); ok {
			return s.fields(items, depth, stack)
		}
	}
	props, _ := resolved["properties"].(map[string]any)
	if len(props) == 0 {
		if ap, ok := resolved["additionalProperties"].(map[string]any); ok {
			return s.fields(ap, depth, stack)
		}
		return nil
	}
	required := map[string]bool{}
	if req, ok := resolved["required"].([]any); ok {
		for _, r := range req {
			if n, ok := r.(string); ok {
				required[n] = true
			}
		}
	}
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]Field, 0, len(names))
	for _, n := range names {
		p, _ := props[n].(map[string]any)
		if p == nil {
			continue
		}
		pr, _ := s.resolve(p)
		desc, _ := p["description"].(string)
		if desc == "" {
			desc, _ = pr["description"].(string)
		}
		f := Field{Name: n, Type: s.typeOf(p), Description: desc, Required: required[n]}
		if open, _ := pr["x-kubernetes-preserve-unknown-fields"].(bool); open {
			f.Open = true
		}
		if depth < maxSchemaDepth {
			f.Fields = s.fields(p, depth+1, stack)
		}
		out = append(out, f)
	}
	return out
}

// KindSchema is the top of a kind's schema with its fields.
type KindSchema struct {
	Description string  `json:"description,omitempty"`
	Fields      []Field `json:"fields"`
	// Open is true for kinds whose schema accepts anything (schema-less CRDs).
	Open bool `json:"open,omitempty"`
}

// LookupSchema finds the schema of gvk in the group version's OpenAPI v3 document.
func LookupSchema(src SpecSource, gvk schema.GroupVersionKind) (*KindSchema, error) {
	doc, err := src.GVSpecAsMap(gvk.GroupVersion())
	if err != nil {
		return nil, err
	}
	comps, _ := doc["components"].(map[string]any)
	schemas, _ := comps["schemas"].(map[string]any)
	w := &schemaWalker{schemas: schemas}
	names := make([]string, 0, len(schemas))
	for n := range schemas {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		sch, _ := schemas[n].(map[string]any)
		list, _ := sch["x-kubernetes-group-version-kind"].([]any)
		for _, item := range list {
			m, _ := item.(map[string]any)
			if m["group"] == gvk.Group && m["version"] == gvk.Version && m["kind"] == gvk.Kind {
				ks := &KindSchema{Fields: w.fields(sch, 0, map[string]bool{})}
				ks.Description, _ = sch["description"].(string)
				if open, _ := sch["x-kubernetes-preserve-unknown-fields"].(bool); open {
					ks.Open = true
				}
				return ks, nil
			}
		}
	}
	return nil, fmt.Errorf("no OpenAPI v3 schema for %s", gvk)
}
