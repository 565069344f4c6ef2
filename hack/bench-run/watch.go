package main

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

type watchEvent = watch.Event

// watchListWatch lists and watches one Pod by name, or ServiceAccounts by field selector.
type watchListWatch struct {
	client          kubernetes.Interface
	ns, name        string
	fieldSelector   string
	serviceAccounts bool
}

func (l *watchListWatch) ListWatch() *cache.ListWatch {
	sel := l.fieldSelector
	if sel == "" {
		sel = fields.OneTermEqualSelector("metadata.name", l.name).String()
	}
	return &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = sel
			if l.serviceAccounts {
				return l.client.CoreV1().ServiceAccounts(l.ns).List(ctx, o)
			}
			return l.client.CoreV1().Pods(l.ns).List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = sel
			if l.serviceAccounts {
				return l.client.CoreV1().ServiceAccounts(l.ns).Watch(ctx, o)
			}
			return l.client.CoreV1().Pods(l.ns).Watch(ctx, o)
		},
	}
}
