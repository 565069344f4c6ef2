package archtree

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Target is the object a tree starts from.
type Target struct {
	GVR       schema.GroupVersionResource
	Kind      string
	Namespace string // empty for cluster-scoped kinds
	Name      string
}

// NotFoundError says the target does not exist, in kubectl's words.
type NotFoundError struct{ Target Target }

func (e *NotFoundError) Error() string {
	where := ""
	if e.Target.Namespace != "" {
		where = fmt.Sprintf(" in namespace %q", e.Target.Namespace)
	}
	return fmt.Sprintf("%s %q not found%s", e.Target.GVR.GroupResource(), e.Target.Name, where)
}

// MaxObjects bounds the tree: past it the rest is summarised in a note, since a tree of
// thousands of rows answers no question.
const MaxObjects = 2000

// Build reads the target and everything it owns and depends on.
func Build(ctx context.Context, c Clients, t Target) (*Tree, error) {
	r := newReader(ctx, c, t.Namespace)
	res := c.Dynamic.Resource(t.GVR)
	var u *unstructured.Unstructured
	var err error
	if t.Namespace != "" {
		u, err = res.Namespace(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
	} else {
		u, err = res.Get(ctx, t.Name, metav1.GetOptions{})
	}
	switch {
	case apierrors.IsNotFound(err):
		return nil, &NotFoundError{Target: t}
	case err != nil:
		return nil, fmt.Errorf("cannot read %s %q: %w", t.GVR.GroupResource(), t.Name, err)
	}
	root := wrap(t.GVR, t.Kind, typed(u))
	b := &builder{r: r, seen: map[string]bool{}}
	tree := &Tree{APIVersion: SchemaVersion, Kind: DocumentKind,
		Metadata: Metadata{Name: t.Name, Namespace: t.Namespace}}
	tree.Root = b.node(root, "")
	b.seen[root.key()] = true
	type item struct {
		n   *Node
		o   object
		top bool
		// path holds the keys from the root to this object: a relation leading back to one
		// of them (the autoscaler a Deployment is scaled by, under that autoscaler) says
		// nothing new.
		path []string
	}
	// Breadth first, so an object reached twice is drawn in full where it is nearest the
	// root (a Deployment's Pods under its ReplicaSet, not under a Service that routes to them).
	queue := []item{{tree.Root, root, true, []string{root.key()}}}
	count := 1
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		for _, ch := range b.children(it.o, it.top) {
			if slices.Contains(it.path, ch.o.key()) {
				continue
			}
			if count >= MaxObjects {
				b.r.note("The tree stops at %d objects; the rest are left out.", MaxObjects)
				queue = nil
				break
			}
			n := b.node(ch.o, ch.rel)
			n.Details = append(ch.details, n.Details...)
			it.n.Children = append(it.n.Children, n)
			count++
			if !ch.expand || ch.o.obj == nil {
				continue
			}
			if b.seen[ch.o.key()] {
				n.Seen = true
				continue
			}
			b.seen[ch.o.key()] = true
			queue = append(queue, item{n, ch.o, false, append(slices.Clip(it.path), ch.o.key())})
		}
	}
	tree.Notes = r.notes
	if tree.Notes == nil {
		tree.Notes = []string{}
	}
	return tree, nil
}

type builder struct {
	r    *reader
	seen map[string]bool
}

// child is a related object; expand says whether its own relations are followed. Objects
// that use the parent (a Service selecting a Pod, an autoscaler) are shown, not followed,
// so the tree stays about the root.
type child struct {
	o      object
	rel    string
	expand bool
	// details are added to the object's own, saying why it is related.
	details []string
}

func (b *builder) node(o object, rel string) *Node {
	n := &Node{Kind: o.kind, APIVersion: o.gvr.GroupVersion().String(), Name: o.name, Namespace: o.namespace, Relation: rel}
	switch {
	case o.unread != "":
		n.Status = Status{Phase: o.unread}
	default:
		n.Status = statusOf(o.obj)
	}
	if o.meta != nil {
		if ts := o.meta.GetCreationTimestamp(); !ts.IsZero() {
			t := ts.UTC()
			n.Created = &t
		}
	}
	switch obj := o.obj.(type) {
	case *rbacv1.Role:
		n.Details = ruleSummary(obj.Rules)
	case *rbacv1.ClusterRole:
		n.Details = ruleSummary(obj.Rules)
	}
	return n
}

// isBuiltin reports whether a group is Kubernetes' own; its kinds are related by the rules
// below rather than by searching every kind for ownerReferences.
func isBuiltin(group string) bool {
	return group == "" || !strings.Contains(group, ".") || strings.HasSuffix(group, ".k8s.io")
}

func (b *builder) children(o object, top bool) []child {
	var out []child
	switch obj := o.obj.(type) {
	case *appsv1.Deployment:
		out = append(out, b.owned(o, gvrReplicaSets)...)
		out = append(out, b.workloadUsers(o, obj.Spec.Template.Labels, top)...)
	case *appsv1.ReplicaSet:
		out = append(out, b.owned(o, gvrPods)...)
		out = append(out, b.workloadUsers(o, obj.Spec.Template.Labels, top)...)
	case *appsv1.StatefulSet:
		out = append(out, b.owned(o, gvrPods)...)
		out = append(out, b.workloadUsers(o, obj.Spec.Template.Labels, top)...)
	case *appsv1.DaemonSet:
		out = append(out, b.owned(o, gvrPods)...)
		out = append(out, b.workloadUsers(o, obj.Spec.Template.Labels, top)...)
	case *batchv1.Job:
		out = append(out, b.owned(o, gvrPods)...)
	case *batchv1.CronJob:
		out = append(out, b.owned(o, gvrJobs)...)
	case *corev1.Pod:
		out = b.podChildren(obj, top)
	case *corev1.ServiceAccount:
		out = b.bindings(obj)
	case *rbacv1.RoleBinding:
		out = append(out, b.roleRef(obj.RoleRef, obj.Namespace))
	case *rbacv1.ClusterRoleBinding:
		out = append(out, b.roleRef(obj.RoleRef, ""))
	case *corev1.PersistentVolumeClaim:
		switch {
		case obj.Spec.VolumeName != "":
			out = append(out, child{o: b.r.get(gvrPVs, "PersistentVolume", "", obj.Spec.VolumeName), rel: RelBoundTo, expand: true})
		case obj.Spec.StorageClassName != nil && *obj.Spec.StorageClassName != "":
			out = append(out, child{o: b.r.get(gvrStorageClasses, "StorageClass", "", *obj.Spec.StorageClassName), rel: RelStorageClass, expand: false})
		}
	case *corev1.PersistentVolume:
		if obj.Spec.StorageClassName != "" {
			out = append(out, child{o: b.r.get(gvrStorageClasses, "StorageClass", "", obj.Spec.StorageClassName), rel: RelStorageClass, expand: false})
		}
		if top && obj.Spec.ClaimRef != nil {
			out = append(out, child{o: b.r.get(gvrPVCs, "PersistentVolumeClaim", obj.Spec.ClaimRef.Namespace, obj.Spec.ClaimRef.Name), rel: RelClaimedBy, expand: false})
		}
	case *corev1.Service:
		for _, s := range b.r.list(gvrEndpointSlices, "EndpointSlice") {
			if s.meta.GetLabels()[discoveryv1.LabelServiceName] == obj.Name {
				out = append(out, child{o: s, rel: RelOwns, expand: true})
			}
		}
	case *discoveryv1.EndpointSlice:
		names := map[string]bool{}
		for _, e := range obj.Endpoints {
			if e.TargetRef != nil && e.TargetRef.Kind == "Pod" && !names[e.TargetRef.Name] {
				names[e.TargetRef.Name] = true
				out = append(out, child{o: b.r.find(gvrPods, "Pod", e.TargetRef.Name), rel: RelRoutesTo, expand: true})
			}
		}
	case *autoscalingv2.HorizontalPodAutoscaler:
		ref := obj.Spec.ScaleTargetRef
		if gvr, ok := b.r.resourceFor(ref.APIVersion, ref.Kind); ok {
			out = append(out, child{o: b.r.get(gvr, ref.Kind, obj.Namespace, ref.Name), rel: RelScales, expand: true})
		} else {
			b.r.note("The autoscaler %s targets %s %s, a kind this cluster does not serve.", obj.Name, ref.Kind, ref.Name)
		}
	case *policyv1.PodDisruptionBudget:
		sel, err := metav1.LabelSelectorAsSelector(obj.Spec.Selector)
		if err == nil && !sel.Empty() {
			for _, p := range b.r.list(gvrPods, "Pod") {
				if sel.Matches(labels.Set(p.meta.GetLabels())) {
					out = append(out, child{o: p, rel: RelProtects, expand: true})
				}
			}
		}
	}
	if top {
		switch o.gvr {
		case gvrConfigMaps, gvrSecrets, gvrPVCs, gvrServiceAccounts:
			out = append(out, b.usedBy(o)...)
		}
	}
	custom := !isBuiltin(o.gvr.Group)
	// A custom resource's operator may create objects of any kind; so may any client that
	// sets an ownerReference on what it creates (a ConfigMap that owns Jobs, so deleting it
	// collects them). Every kind is searched for the root, and for custom resources
	// anywhere in the tree, but not for each built-in object below the root: the rules
	// above already name what their controllers create.
	if custom || (top && !controllerKinds[o.kind]) {
		switch {
		case o.namespace == "" && custom:
			b.r.note("Objects owned by the cluster-scoped %s %s are not searched for: they could be in any namespace.", o.kind, o.name)
		case o.namespace != "":
			what := "objects owned by custom resources"
			if !custom {
				what = "objects owned by " + o.kind + " " + o.name
			}
			kinds := b.r.scanKinds()
			b.r.prefetch(kinds, what)
			out = append(out, b.ownedAny(o, kinds)...)
		}
	}
	if custom {
		out = append(out, b.scaledBy(o)...)
	}
	// The same object can be reached by two rules (a Service's EndpointSlices by label and
	// by ownership); the first one says more.
	seen := map[string]bool{}
	kept := out[:0]
	for _, c := range out {
		if !seen[c.o.key()] {
			seen[c.o.key()] = true
			kept = append(kept, c)
		}
	}
	return kept
}

// controllerKinds are the built-in kinds whose owned objects the rules above find.
var controllerKinds = map[string]bool{"Deployment": true, "ReplicaSet": true, "StatefulSet": true, "DaemonSet": true, "Job": true, "CronJob": true}

// owned lists the objects of one kind whose ownerReferences name o.
func (b *builder) owned(o object, gvr schema.GroupVersionResource) []child {
	d := typedKinds[gvr.GroupResource()]
	var out []child
	for _, x := range b.r.list(gvr, d.kind) {
		if ownedBy(x, o) {
			out = append(out, child{o: x, rel: RelOwns, expand: true})
		}
	}
	return out
}

func ownedBy(x, owner object) bool {
	if x.meta == nil || owner.meta == nil {
		return false
	}
	for _, ref := range x.meta.GetOwnerReferences() {
		if ref.UID == owner.meta.GetUID() {
			return true
		}
	}
	return false
}

// ownedAny searches every listable kind, each listed once per run, for objects that name o
// as their owner. Kinds the tree does not read typed are listed as metadata only; custom
// resources among the results are read in full for their status.
func (b *builder) ownedAny(o object, kinds []scanKind) []child {
	var out []child
	for _, k := range kinds {
		for _, x := range b.r.list(k.gvr, k.kind) {
			if x.key() == o.key() || !ownedBy(x, o) {
				continue
			}
			if !isBuiltin(k.gvr.Group) {
				x = b.r.get(k.gvr, k.kind, x.namespace, x.name)
			}
			out = append(out, child{o: x, rel: RelOwns, expand: true})
		}
	}
	return out
}

// workloadUsers are the objects that act on a workload: its autoscaler, and when it is not
// managed by another workload, the Services that route to its Pods and the disruption
// budgets that cover them.
func (b *builder) workloadUsers(o object, podLabels map[string]string, top bool) []child {
	out := b.scaledBy(o)
	if top || !hasController(o) {
		out = append(out, b.selectedBy(podLabels)...)
	}
	return out
}

func hasController(o object) bool {
	return o.meta != nil && metav1.GetControllerOf(o.meta) != nil
}

func (b *builder) scaledBy(o object) []child {
	var out []child
	for _, h := range b.r.list(gvrHPAs, "HorizontalPodAutoscaler") {
		hpa := h.obj.(*autoscalingv2.HorizontalPodAutoscaler)
		ref := hpa.Spec.ScaleTargetRef
		gv, _ := schema.ParseGroupVersion(ref.APIVersion)
		if ref.Kind == o.kind && ref.Name == o.name && gv.Group == o.gvr.Group {
			out = append(out, child{o: h, rel: RelScaledBy, expand: false})
		}
	}
	return out
}

// selectedBy are the Services whose selector matches the labels and the disruption budgets
// whose selector does.
func (b *builder) selectedBy(podLabels map[string]string) []child {
	var out []child
	set := labels.Set(podLabels)
	for _, s := range b.r.list(gvrServices, "Service") {
		svc := s.obj.(*corev1.Service)
		if len(svc.Spec.Selector) > 0 && labels.SelectorFromSet(svc.Spec.Selector).Matches(set) {
			out = append(out, child{o: s, rel: RelSelectedBy, expand: false})
		}
	}
	for _, p := range b.r.list(gvrPDBs, "PodDisruptionBudget") {
		pdb := p.obj.(*policyv1.PodDisruptionBudget)
		sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err == nil && !sel.Empty() && sel.Matches(set) {
			out = append(out, child{o: p, rel: RelProtectedBy, expand: false})
		}
	}
	return out
}

func (b *builder) podChildren(p *corev1.Pod, top bool) []child {
	var out []child
	if p.Spec.NodeName != "" {
		out = append(out, child{o: b.r.get(gvrNodes, "Node", "", p.Spec.NodeName), rel: RelRunsOn, expand: false})
	}
	sa := p.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	acct := b.r.find(gvrServiceAccounts, "ServiceAccount", sa)
	if acct.obj == nil && acct.unread != "" {
		// The account's bindings name it, not its object: they can be found all the same.
		acct.obj = &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa, Namespace: p.Namespace}}
	}
	out = append(out, child{o: acct, rel: RelRunsAs, expand: true})
	for _, u := range podUses(p) {
		out = append(out, child{o: b.r.find(u.gvr, u.kind, u.name), rel: u.rel, expand: u.gvr == gvrPVCs})
	}
	if top || metav1.GetControllerOf(p) == nil {
		out = append(out, b.selectedBy(p.Labels)...)
	}
	return out
}

// use is an object a Pod's spec names.
type use struct {
	gvr        schema.GroupVersionResource
	kind, name string
	rel        string
}

// podUses are the claims, ConfigMaps and Secrets a Pod's spec names: volumes first, then
// env, then pull secrets; each object once, under its first use.
func podUses(p *corev1.Pod) []use {
	var out []use
	seen := map[string]bool{}
	add := func(gvr schema.GroupVersionResource, kind, name, rel string) {
		k := kind + "/" + name
		if name == "" || seen[k] {
			return
		}
		seen[k] = true
		out = append(out, use{gvr, kind, name, rel})
	}
	for _, v := range p.Spec.Volumes {
		switch {
		case v.PersistentVolumeClaim != nil:
			add(gvrPVCs, "PersistentVolumeClaim", v.PersistentVolumeClaim.ClaimName, RelMounts)
		case v.Ephemeral != nil:
			// The ephemeral volume controller names the claim after the Pod and volume.
			add(gvrPVCs, "PersistentVolumeClaim", p.Name+"-"+v.Name, RelMounts)
		case v.ConfigMap != nil:
			add(gvrConfigMaps, "ConfigMap", v.ConfigMap.Name, RelMounts)
		case v.Secret != nil:
			add(gvrSecrets, "Secret", v.Secret.SecretName, RelMounts)
		case v.Projected != nil:
			for _, s := range v.Projected.Sources {
				if s.ConfigMap != nil {
					add(gvrConfigMaps, "ConfigMap", s.ConfigMap.Name, RelMounts)
				}
				if s.Secret != nil {
					add(gvrSecrets, "Secret", s.Secret.Name, RelMounts)
				}
			}
		}
	}
	containers := append(append([]corev1.Container{}, p.Spec.InitContainers...), p.Spec.Containers...)
	for _, c := range containers {
		for _, e := range c.EnvFrom {
			if e.ConfigMapRef != nil {
				add(gvrConfigMaps, "ConfigMap", e.ConfigMapRef.Name, RelEnvFrom)
			}
			if e.SecretRef != nil {
				add(gvrSecrets, "Secret", e.SecretRef.Name, RelEnvFrom)
			}
		}
		for _, e := range c.Env {
			if e.ValueFrom == nil {
				continue
			}
			if r := e.ValueFrom.ConfigMapKeyRef; r != nil {
				add(gvrConfigMaps, "ConfigMap", r.Name, RelEnvFrom)
			}
			if r := e.ValueFrom.SecretKeyRef; r != nil {
				add(gvrSecrets, "Secret", r.Name, RelEnvFrom)
			}
		}
	}
	for _, s := range p.Spec.ImagePullSecrets {
		add(gvrSecrets, "Secret", s.Name, RelPullsWith)
	}
	return out
}

// usedBy are the Pods that use the root: that mount a claim or read a ConfigMap or Secret,
// or that run as a service account. Shown, not followed: the question was about the root.
func (b *builder) usedBy(o object) []child {
	var out []child
	for _, x := range b.r.list(gvrPods, "Pod") {
		p := x.obj.(*corev1.Pod)
		if o.kind == "ServiceAccount" {
			sa := p.Spec.ServiceAccountName
			if sa == "" {
				sa = "default"
			}
			if sa == o.name {
				out = append(out, child{o: x, rel: RelUsedBy, expand: false})
			}
			continue
		}
		for _, u := range podUses(p) {
			if u.gvr == o.gvr && u.name == o.name {
				out = append(out, child{o: x, rel: RelUsedBy, expand: false})
				break
			}
		}
	}
	return out
}

// bindings are the RoleBindings and ClusterRoleBindings that grant the account something,
// by name or through the service-account groups it belongs to.
func (b *builder) bindings(sa *corev1.ServiceAccount) []child {
	groups := map[string]bool{"system:serviceaccounts": true, "system:serviceaccounts:" + sa.Namespace: true}
	// A RoleBinding's ServiceAccount subject without a namespace means the binding's own, as
	// the RBAC authorizer reads it.
	// via is "" for a binding that names the account, or the group it names the account by.
	names := func(subjects []rbacv1.Subject, bindingNS string) (ok bool, via string) {
		for _, s := range subjects {
			switch s.Kind {
			case rbacv1.ServiceAccountKind:
				ns := s.Namespace
				if ns == "" {
					ns = bindingNS
				}
				if s.Name == sa.Name && ns == sa.Namespace {
					return true, ""
				}
			case rbacv1.GroupKind:
				if groups[s.Name] {
					ok, via = true, s.Name
				}
			}
		}
		return ok, via
	}
	note := func(via string) []string {
		if via == "" {
			return nil
		}
		return []string{"names the account through the group " + via}
	}
	var out []child
	for _, rb := range b.r.list(gvrRoleBindings, "RoleBinding") {
		if ok, via := names(rb.obj.(*rbacv1.RoleBinding).Subjects, rb.namespace); ok {
			out = append(out, child{o: rb, rel: RelBoundBy, expand: true, details: note(via)})
		}
	}
	crbs := b.r.clusterRoleBindings()
	sort.Slice(crbs, func(i, j int) bool { return crbs[i].Name < crbs[j].Name })
	for _, crb := range crbs {
		if ok, via := names(crb.Subjects, ""); ok {
			out = append(out, child{o: wrap(gvrClusterBindings, "ClusterRoleBinding", crb), rel: RelBoundBy, expand: true, details: note(via)})
		}
	}
	return out
}

func (b *builder) roleRef(ref rbacv1.RoleRef, ns string) child {
	if ref.Kind == "ClusterRole" {
		return child{o: b.r.get(gvrClusterRoles, "ClusterRole", "", ref.Name), rel: RelGrants, expand: false}
	}
	return child{o: b.r.get(gvrRoles, "Role", ns, ref.Name), rel: RelGrants, expand: false}
}
