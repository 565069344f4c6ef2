package arch

import "k8s.io/apimachinery/pkg/runtime/schema"

func schemaGVK(r *Resource) schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: r.Group, Version: r.Version, Kind: r.Kind}
}
