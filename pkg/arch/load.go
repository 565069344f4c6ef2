package arch

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/openapi3"
	"k8s.io/client-go/rest"

	"github.com/kubectl-katib/plugins/pkg/arch/read"
	"github.com/kubectl-katib/plugins/pkg/kube"
)

// LoadOptions say how to build the model from kubectl's flags.
type LoadOptions struct {
	// Refresh drops cached discovery first, like deleting ~/.kube/cache.
	Refresh bool
	// APIOnly reads only discovery and CRDs, for api-versions and api-resources.
	APIOnly bool
	// CacheDir is kubectl's cache directory; models are kept under it for ModelTTL. Empty
	// keeps none.
	CacheDir string
	// Trace, when set, is told how long the load and each read took.
	Trace io.Writer
}

// Session is a connection to one cluster and the model read from it.
type Session struct {
	Clients *kube.Clients
	Model   *Model
}

// Load connects with the user's kubeconfig and reads the model. An unreachable cluster is an
// *UnreachableError naming the kubeconfig and context.
func Load(ctx context.Context, getter genericclioptions.RESTClientGetter, o LoadOptions) (*Session, error) {
	t0 := time.Now()
	defer func() {
		if o.Trace != nil {
			fmt.Fprintf(o.Trace, "load: %v\n", time.Since(t0))
		}
	}()
	where := kube.Describe(getter)
	clients, err := kube.NewClients(getter, "arch")
	if err != nil {
		return nil, &read.UnreachableError{Where: where, Err: err}
	}
	if o.Refresh {
		clients.Discovery.Invalidate()
	}
	cachePath := modelCachePath(o.CacheDir, clients.Config, where)
	if !o.Refresh && !o.APIOnly {
		if m := readModelCache(cachePath, time.Now()); m != nil {
			return &Session{Clients: clients, Model: m}, nil
		}
	}
	// Protobuf halves the API server's and our CPU for the lists, which matters because the
	// whole model is read at once on small control planes.
	pcfg := rest.CopyConfig(clients.Config)
	pcfg.ContentType = "application/vnd.kubernetes.protobuf"
	pcfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	cs, err := kubernetes.NewForConfig(pcfg)
	if err != nil {
		return nil, &read.UnreachableError{Where: where, Err: err}
	}
	rc := cs.Discovery().RESTClient()
	src := read.Source{
		Clientset: cs,
		Dynamic:   clients.Dynamic,
		Discovery: clients.Discovery,
		Server:    clients.Config.Host,
		Context:   where,
		APIOnly:   o.APIOnly,
		Trace:     o.Trace,
		Probe: func(ctx context.Context, path string) ([]byte, error) {
			u, err := url.Parse(path)
			if err != nil {
				return nil, err
			}
			req := rc.Get().AbsPath(u.Path)
			for k, vs := range u.Query() {
				req = req.Param(k, strings.Join(vs, ","))
			}
			return req.DoRaw(ctx)
		},
	}
	m, err := Discover(ctx, src)
	if err != nil {
		return nil, err
	}
	m.Cluster.Context = contextName(where)
	if !o.APIOnly {
		writeModelCache(cachePath, m, time.Now())
	}
	return &Session{Clients: clients, Model: m}, nil
}

// contextName picks "context X" out of kube.Describe's text for titles.
func contextName(where string) string {
	for _, part := range strings.Split(where, ", ") {
		if name, ok := strings.CutPrefix(part, "context "); ok {
			return name
		}
	}
	return ""
}

// Specs is the OpenAPI v3 source of the session, cached like discovery; a custom
// resource's schema not published there yet is read from its CRD.
func (s *Session) Specs() SpecSource {
	return crdSpecs{primary: openapi3.NewRoot(s.Clients.Discovery.OpenAPIV3()), dynamic: s.Clients.Dynamic, model: s.Model}
}

// FindResource resolves what a user typed (pod, pods, po, deployments.apps,
// experiments.kubeflow.org, pod.spec.containers) to a resource and a field path.
func (m *Model) FindResource(arg string) (*Resource, *APIGroup, []string, bool) {
	parts := strings.Split(strings.ToLower(arg), ".")
	for k := len(parts); k >= 1; k-- {
		name := parts[0]
		group := strings.Join(parts[1:k], ".")
		for gi := range m.APIGroups {
			g := &m.APIGroups[gi]
			if k > 1 && g.Name != group {
				continue
			}
			for ri := range g.Resources {
				r := &g.Resources[ri]
				if r.Name == name || strings.ToLower(r.Kind) == name || slices.Contains(r.ShortNames, name) {
					return r, g, parts[k:], true
				}
			}
		}
	}
	return nil, nil, nil, false
}

// ExplainResource gathers a resource's API facts, schema and chain of actors. Schema
// errors become a note: the rest of the explanation is still useful.
func ExplainResource(m *Model, specs SpecSource, r *Resource, g *APIGroup, fieldPath []string) (*ResourceExplanation, error) {
	key := r.Name
	if r.Group != "" {
		key += "." + r.Group
	}
	e := &ResourceExplanation{APIVersion: SchemaVersion, Kind: KindResource, Resource: *r, BuiltIn: g.BuiltIn, Aggregated: g.Aggregated,
		GroupDescription: g.Description, ActedOnBy: KB().Chain(key), CRD: m.FindCRD(key), OperatorsInferred: m.Cluster.OperatorsInferred}
	if e.ActedOnBy == nil {
		e.ActedOnBy = []ChainStep{}
	}
	e.Webhooks = m.WebhooksFor(r.Group, r.Name)
	e.Path = []string{r.Kind}
	if e.CRD != nil && e.CRD.Operator != nil {
		e.Path = append(e.Path, "operator "+e.CRD.Operator.Ref())
	}
	cur := key
	for _, s := range e.ActedOnBy {
		if s.Resource != cur {
			cur = s.Resource
			if next, _, _, ok := m.FindResource(s.Resource); ok {
				e.Path = append(e.Path, next.Kind)
			}
		}
		actor := s.Actor
		if s.In == "kube-controller-manager" {
			actor += " (kube-controller-manager)"
		}
		e.Path = append(e.Path, actor)
	}
	if r.Group == "" {
		for i := range KB().Concepts {
			if KB().Concepts[i].Resource == r.Name {
				c := KB().Concepts[i]
				e.Concept = &c
			}
		}
	}
	if specs != nil {
		s, err := LookupSchema(specs, schemaGVK(r))
		if err != nil {
			e.SchemaNote = fmt.Sprintf("The schema could not be read from the API server's OpenAPI v3 document: %v.", err)
		} else {
			if len(fieldPath) > 0 {
				sub, err := SelectField(s, fieldPath)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", strings.Join(append([]string{r.Name}, fieldPath...), "."), err)
				}
				s = sub
				e.FieldPath = strings.Join(append([]string{r.Kind}, fieldPath...), ".")
			}
			e.Schema = s
		}
	} else {
		e.SchemaNote = "Offline: the schema comes from the cluster's OpenAPI v3 document."
	}
	return e, nil
}
