package store

import (
	"errors"
	"strconv"
	"strings"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// apiServer adds to the fake clientset what the store's conflict detection relies on and
// the fake's tracker lacks: UIDs, a resourceVersion that moves on every write, and updates
// that carry a stale resourceVersion refused with a Conflict.
type apiServer struct {
	*fake.Clientset
	rv atomic.Int64
}

func newAPIServer() *apiServer {
	s := &apiServer{Clientset: fake.NewClientset()}
	s.PrependReactor("create", "configmaps", func(a k8stesting.Action) (bool, runtime.Object, error) {
		obj, err := s.create(a.(k8stesting.CreateAction))
		return true, obj, err
	})
	s.PrependReactor("update", "configmaps", func(a k8stesting.Action) (bool, runtime.Object, error) {
		obj, err := s.update(a.(k8stesting.UpdateAction))
		return true, obj, err
	})
	// The fake's tracker does not implement it.
	s.PrependReactor("delete-collection", "configmaps", func(a k8stesting.Action) (bool, runtime.Object, error) {
		dc := a.(k8stesting.DeleteCollectionAction)
		selector, err := labels.Parse(dc.GetListRestrictions().Labels.String())
		if err != nil {
			return true, nil, err
		}
		list, err := s.Tracker().List(a.GetResource(), corev1.SchemeGroupVersion.WithKind("ConfigMap"), a.GetNamespace())
		if err != nil {
			return true, nil, err
		}
		for _, cm := range list.(*corev1.ConfigMapList).Items {
			if selector.Matches(labels.Set(cm.Labels)) {
				if err := s.Tracker().Delete(a.GetResource(), a.GetNamespace(), cm.Name); err != nil {
					return true, nil, err
				}
			}
		}
		return true, nil, nil
	})
	return s
}

func (s *apiServer) create(a k8stesting.CreateAction) (runtime.Object, error) {
	cm := a.GetObject().(*corev1.ConfigMap).DeepCopy()
	cm.UID = types.UID("uid-" + cm.Name)
	cm.ResourceVersion = strconv.FormatInt(s.rv.Add(1), 10)
	if err := s.Tracker().Create(a.GetResource(), cm, a.GetNamespace()); err != nil {
		return nil, err
	}
	return cm.DeepCopy(), nil
}

func (s *apiServer) update(a k8stesting.UpdateAction) (runtime.Object, error) {
	cm := a.GetObject().(*corev1.ConfigMap).DeepCopy()
	cur, err := s.Tracker().Get(a.GetResource(), a.GetNamespace(), cm.Name)
	if err != nil {
		return nil, err
	}
	old := cur.(*corev1.ConfigMap)
	if cm.ResourceVersion != "" && cm.ResourceVersion != old.ResourceVersion {
		return nil, apierrors.NewConflict(a.GetResource().GroupResource(), cm.Name, errors.New("the object has been modified"))
	}
	cm.UID, cm.CreationTimestamp = old.UID, old.CreationTimestamp
	cm.ResourceVersion = strconv.FormatInt(s.rv.Add(1), 10)
	if err := s.Tracker().Update(a.GetResource(), cm, a.GetNamespace()); err != nil {
		return nil, err
	}
	return cm.DeepCopy(), nil
}

// landUnseen makes the next n writes (verb "create" or "update") of ConfigMaps whose name
// starts with prefix take effect and then fail as if the answer had been lost.
func (s *apiServer) landUnseen(verb, prefix string, n int) {
	var left atomic.Int64
	left.Store(int64(n))
	s.PrependReactor(verb, "configmaps", func(a k8stesting.Action) (bool, runtime.Object, error) {
		name := a.(interface{ GetObject() runtime.Object }).GetObject().(metav1.Object).GetName()
		if !strings.HasPrefix(name, prefix) || left.Add(-1) < 0 {
			return false, nil, nil
		}
		var err error
		if verb == "create" {
			_, err = s.create(a.(k8stesting.CreateAction))
		} else {
			_, err = s.update(a.(k8stesting.UpdateAction))
		}
		if err != nil {
			return true, nil, err
		}
		return true, nil, apierrors.NewTimeoutError("request did not complete within the allotted timeout", 0)
	})
}

// fail makes the next n writes of ConfigMaps whose name starts with prefix fail with err
// without taking effect.
func (s *apiServer) fail(verb, prefix string, n int, err error) {
	var left atomic.Int64
	left.Store(int64(n))
	s.PrependReactor(verb, "configmaps", func(a k8stesting.Action) (bool, runtime.Object, error) {
		name := a.(interface{ GetObject() runtime.Object }).GetObject().(metav1.Object).GetName()
		if !strings.HasPrefix(name, prefix) || left.Add(-1) < 0 {
			return false, nil, nil
		}
		return true, nil, err
	})
}

// configMap reads a ConfigMap straight from the tracker, bypassing the reactors.
func (s *apiServer) configMap(ns, name string) (*corev1.ConfigMap, error) {
	obj, err := s.Tracker().Get(corev1.SchemeGroupVersion.WithResource("configmaps"), ns, name)
	if err != nil {
		return nil, err
	}
	return obj.(*corev1.ConfigMap), nil
}

// writes returns the ConfigMaps sent by create and update actions, in order.
func (s *apiServer) writes() []*corev1.ConfigMap {
	var out []*corev1.ConfigMap
	for _, a := range s.Actions() {
		if a.GetResource().Resource != "configmaps" {
			continue
		}
		if w, ok := a.(interface{ GetObject() runtime.Object }); ok && (a.GetVerb() == "create" || a.GetVerb() == "update") {
			out = append(out, w.GetObject().(*corev1.ConfigMap))
		}
	}
	return out
}
