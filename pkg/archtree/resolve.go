package archtree

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// UnknownKindError says a KIND argument names no resource the cluster serves.
type UnknownKindError struct{ Kind string }

func (e *UnknownKindError) Error() string {
	return fmt.Sprintf("the server does not serve a resource named %q; 'kubectl arch api-resources' lists the names (short names and kind.group work too)", e.Kind)
}

// SplitArgs takes KIND/NAME or KIND NAME, as kubectl get does.
func SplitArgs(args []string) (kind, name string, err error) {
	switch len(args) {
	case 1:
		kind, name, ok := strings.Cut(args[0], "/")
		if !ok || kind == "" || name == "" {
			return "", "", fmt.Errorf("%q is not KIND/NAME: give the object as deploy/web or as two words, deploy web", args[0])
		}
		return kind, name, nil
	case 2:
		if strings.Contains(args[0], "/") {
			return "", "", fmt.Errorf("give the object as KIND/NAME or KIND NAME, not both (%s %s)", args[0], args[1])
		}
		return args[0], args[1], nil
	}
	return "", "", fmt.Errorf("one object is needed: KIND/NAME or KIND NAME (got %d arguments)", len(args))
}

// Resolve finds the resource a KIND argument names, as kubectl does: a plural, singular or
// short name, optionally with .group or .version.group, or a Kind. namespace is used when the
// kind is namespaced.
func Resolve(mapper meta.RESTMapper, kindArg, name, namespace string) (Target, error) {
	var gvk schema.GroupVersionKind
	var err error
	fullySpecified, gr := schema.ParseResourceArg(strings.ToLower(kindArg))
	if fullySpecified != nil {
		gvk, err = mapper.KindFor(*fullySpecified)
	}
	if fullySpecified == nil || err != nil {
		gvk, err = mapper.KindFor(gr.WithVersion(""))
	}
	if err != nil {
		// A Kind with its group, "Deployment.apps", as kubectl also accepts.
		gk := schema.ParseGroupKind(kindArg)
		m, kerr := mapper.RESTMapping(gk)
		if kerr != nil {
			if !meta.IsNoMatchError(err) {
				// Discovery itself failed: the cluster, not the argument, is the problem.
				return Target{}, err
			}
			return Target{}, &UnknownKindError{Kind: kindArg}
		}
		gvk = m.GroupVersionKind
	}
	m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return Target{}, &UnknownKindError{Kind: kindArg}
	}
	t := Target{GVR: m.Resource, Kind: gvk.Kind, Name: name}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		t.Namespace = namespace
	}
	return t, nil
}
