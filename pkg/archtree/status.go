package archtree

import (
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

const (
	healthOK          = "ok"
	healthProgressing = "progressing"
	healthFailing     = "failing"
)

// statusOf says how obj is doing; a nil obj is an object that was named but not found.
func statusOf(obj any) Status {
	switch o := obj.(type) {
	case nil:
		return Status{Phase: "NotFound", Health: healthFailing}
	case *corev1.Pod:
		return podStatus(o)
	case *appsv1.Deployment:
		return deploymentStatus(o)
	case *appsv1.ReplicaSet:
		want := int32(1)
		if o.Spec.Replicas != nil {
			want = *o.Spec.Replicas
		}
		return replicaStatus(o.Status.ReadyReplicas, want, "")
	case *appsv1.StatefulSet:
		want := int32(1)
		if o.Spec.Replicas != nil {
			want = *o.Spec.Replicas
		}
		return replicaStatus(o.Status.ReadyReplicas, want, "")
	case *appsv1.DaemonSet:
		return replicaStatus(o.Status.NumberReady, o.Status.DesiredNumberScheduled, "")
	case *batchv1.Job:
		return jobStatus(o)
	case *batchv1.CronJob:
		s := Status{Phase: "Scheduled", Health: healthOK}
		if o.Spec.Suspend != nil && *o.Spec.Suspend {
			s = Status{Phase: "Suspended"}
		}
		if n := len(o.Status.Active); n > 0 {
			s.Reason = fmt.Sprintf("%d active", n)
		}
		return s
	case *corev1.Node:
		for _, c := range o.Status.Conditions {
			if c.Type == corev1.NodeReady {
				if c.Status == corev1.ConditionTrue {
					s := Status{Ready: "True", Phase: "Ready", Health: healthOK}
					if o.Spec.Unschedulable {
						s.Reason = "SchedulingDisabled"
					}
					return s
				}
				return Status{Ready: string(c.Status), Phase: "NotReady", Reason: c.Reason, Message: c.Message, Health: healthFailing}
			}
		}
		return Status{Phase: "Unknown"}
	case *corev1.PersistentVolumeClaim:
		s := Status{Phase: string(o.Status.Phase)}
		switch o.Status.Phase {
		case corev1.ClaimBound:
			s.Health = healthOK
		case corev1.ClaimPending:
			s.Health = healthProgressing
		case corev1.ClaimLost:
			s.Health = healthFailing
		}
		return s
	case *corev1.PersistentVolume:
		s := Status{Phase: string(o.Status.Phase), Reason: o.Status.Reason, Message: o.Status.Message}
		switch o.Status.Phase {
		case corev1.VolumeBound, corev1.VolumeAvailable:
			s.Health = healthOK
		case corev1.VolumeFailed:
			s.Health = healthFailing
		case corev1.VolumePending:
			s.Health = healthProgressing
		}
		return s
	case *storagev1.StorageClass:
		return Status{Phase: o.Provisioner}
	case *corev1.Service:
		s := Status{Phase: string(o.Spec.Type)}
		var ports []string
		for _, p := range o.Spec.Ports {
			ports = append(ports, fmt.Sprintf("%d/%s", p.Port, p.Protocol))
		}
		s.Reason = strings.Join(ports, ",")
		return s
	case *discoveryv1.EndpointSlice:
		ready := 0
		for _, e := range o.Endpoints {
			if e.Conditions.Ready == nil || *e.Conditions.Ready {
				ready++
			}
		}
		s := Status{Ready: fmt.Sprintf("%d/%d", ready, len(o.Endpoints)), Health: healthOK}
		if ready == 0 {
			s.Phase, s.Health = "NoReadyEndpoints", healthProgressing
		}
		return s
	case *autoscalingv2.HorizontalPodAutoscaler:
		minR := int32(1)
		if o.Spec.MinReplicas != nil {
			minR = *o.Spec.MinReplicas
		}
		s := Status{Phase: fmt.Sprintf("%d-%d replicas", minR, o.Spec.MaxReplicas), Health: healthOK}
		if o.Status.DesiredReplicas > 0 {
			s.Ready = fmt.Sprintf("%d/%d", o.Status.CurrentReplicas, o.Status.DesiredReplicas)
		}
		for _, c := range o.Status.Conditions {
			if c.Type == autoscalingv2.ScalingActive && c.Status != corev1.ConditionTrue {
				s.Reason, s.Message, s.Health = c.Reason, c.Message, healthProgressing
			}
		}
		return s
	case *policyv1.PodDisruptionBudget:
		s := Status{Phase: plural(int(o.Status.DisruptionsAllowed), "disruption") + " allowed", Health: healthOK}
		if o.Status.DisruptionsAllowed == 0 {
			// Not broken, but it blocks node drains until more Pods are healthy.
			s.Health = healthProgressing
		}
		return s
	case *rbacv1.Role:
		return Status{Phase: plural(len(o.Rules), "rule")}
	case *rbacv1.ClusterRole:
		return Status{Phase: plural(len(o.Rules), "rule")}
	case *unstructured.Unstructured:
		return genericStatus(o)
	}
	return Status{}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func replicaStatus(ready, want int32, phase string) Status {
	s := Status{Ready: fmt.Sprintf("%d/%d", ready, want), Phase: phase}
	switch {
	case want == 0:
		s.Phase = "ScaledDown"
	case ready >= want:
		s.Health = healthOK
	default:
		s.Health = healthProgressing
	}
	return s
}

func deploymentStatus(d *appsv1.Deployment) Status {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	s := Status{Ready: fmt.Sprintf("%d/%d", d.Status.AvailableReplicas, want)}
	for _, c := range d.Status.Conditions {
		switch {
		case c.Type == appsv1.DeploymentProgressing && c.Status == corev1.ConditionFalse:
			// ProgressDeadlineExceeded: the rollout gave up.
			return Status{Ready: s.Ready, Phase: "Failed", Reason: c.Reason, Message: c.Message, Health: healthFailing}
		case c.Type == appsv1.DeploymentReplicaFailure && c.Status == corev1.ConditionTrue:
			return Status{Ready: s.Ready, Phase: "ReplicaFailure", Reason: c.Reason, Message: c.Message, Health: healthFailing}
		}
	}
	switch {
	case want == 0:
		s.Phase = "ScaledDown"
	case d.Status.AvailableReplicas >= want && d.Status.UpdatedReplicas >= want:
		s.Phase, s.Health = "Available", healthOK
	default:
		s.Phase, s.Health = "Progressing", healthProgressing
	}
	return s
}

func jobStatus(j *batchv1.Job) Status {
	want := int32(1)
	if j.Spec.Completions != nil {
		want = *j.Spec.Completions
	}
	s := Status{Ready: fmt.Sprintf("%d/%d", j.Status.Succeeded, want)}
	for _, c := range j.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobComplete:
			s.Phase, s.Health = "Complete", healthOK
			return s
		case batchv1.JobFailed:
			s.Phase, s.Reason, s.Message, s.Health = "Failed", c.Reason, c.Message, healthFailing
			return s
		case batchv1.JobSuspended:
			s.Phase = "Suspended"
			return s
		}
	}
	s.Phase, s.Health = "Running", healthProgressing
	return s
}

// podStatus follows kubectl get pods: a container's waiting or terminated reason wins over
// the phase, because "Running" hides a container that keeps crashing.
func podStatus(p *corev1.Pod) Status {
	ready, total := 0, len(p.Spec.Containers)
	for _, c := range p.Status.ContainerStatuses {
		if c.Ready {
			ready++
		}
	}
	s := Status{Ready: fmt.Sprintf("%d/%d", ready, total), Phase: string(p.Status.Phase), Reason: p.Status.Reason, Message: p.Status.Message}
	if p.DeletionTimestamp != nil {
		s.Phase, s.Health = "Terminating", healthProgressing
		return s
	}
	for _, c := range p.Status.InitContainerStatuses {
		if w := c.State.Waiting; w != nil && w.Reason != "" && w.Reason != "PodInitializing" {
			s.Reason, s.Message = "Init:"+w.Reason, w.Message
		}
		if t := c.State.Terminated; t != nil && t.ExitCode != 0 {
			s.Reason, s.Message = "Init:"+t.Reason, t.Message
		}
	}
	for _, c := range p.Status.ContainerStatuses {
		if w := c.State.Waiting; w != nil && w.Reason != "" {
			s.Reason, s.Message = w.Reason, w.Message
		} else if t := c.State.Terminated; t != nil && t.Reason != "" && p.Status.Phase != corev1.PodSucceeded {
			s.Reason, s.Message = t.Reason, t.Message
		}
	}
	if p.Status.Phase == corev1.PodPending && s.Reason == "" {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
				s.Reason, s.Message = c.Reason, c.Message
			}
		}
	}
	switch {
	case isBadReason(s.Reason) || p.Status.Phase == corev1.PodFailed:
		s.Health = healthFailing
	case p.Status.Phase == corev1.PodSucceeded:
		s.Health = healthOK
	case p.Status.Phase == corev1.PodRunning && ready == total:
		s.Health = healthOK
	default:
		s.Health = healthProgressing
	}
	return s
}

func isBadReason(r string) bool {
	r = strings.TrimPrefix(r, "Init:")
	switch r {
	case "CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "ErrImageNeverPull", "InvalidImageName",
		"CreateContainerConfigError", "CreateContainerError", "RunContainerError", "OOMKilled", "Error",
		"ContainerCannotRun", "Evicted", "Unschedulable", "DeadlineExceeded":
		return true
	}
	return false
}

// genericStatus reads the conventions most operators follow: status.phase and a Ready (or
// Available, Succeeded) condition.
func genericStatus(u *unstructured.Unstructured) Status {
	var s Status
	if phase, ok, _ := unstructured.NestedString(u.Object, "status", "phase"); ok {
		s.Phase = phase
	}
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	byType := map[string]map[string]any{}
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok {
			if t, ok := m["type"].(string); ok {
				byType[t] = m
			}
		}
	}
	for _, t := range []string{"Ready", "Available", "Succeeded", "Complete"} {
		c, ok := byType[t]
		if !ok {
			continue
		}
		st, _ := c["status"].(string)
		s.Ready = st
		s.Reason, _ = c["reason"].(string)
		s.Message, _ = c["message"].(string)
		if s.Phase == "" {
			s.Phase = t
			if st != "True" {
				s.Phase = "Not" + t
			}
		}
		switch st {
		case "True":
			s.Health = healthOK
		case "False":
			s.Health = healthFailing
		default:
			s.Health = healthProgressing
		}
		return s
	}
	if s.Phase != "" {
		switch strings.ToLower(s.Phase) {
		case "running", "ready", "succeeded", "complete", "completed", "active", "bound", "available", "healthy":
			s.Health = healthOK
		case "failed", "error", "degraded":
			s.Health = healthFailing
		case "pending", "creating", "progressing":
			s.Health = healthProgressing
		}
	}
	return s
}

// ruleSummary says what RBAC rules allow, one line per set of resources: "get, list, watch
// pods, pods/log".
func ruleSummary(rules []rbacv1.PolicyRule) []string {
	var out []string
	for _, r := range rules {
		verbs := strings.Join(r.Verbs, ", ")
		var what []string
		switch {
		case len(r.NonResourceURLs) > 0:
			what = r.NonResourceURLs
		default:
			for _, res := range r.Resources {
				for _, g := range r.APIGroups {
					name := res
					if g != "" {
						name += "." + g
					}
					if len(r.ResourceNames) > 0 {
						name += " (" + strings.Join(r.ResourceNames, ", ") + ")"
					}
					what = append(what, name)
				}
			}
		}
		sort.Strings(what)
		out = append(out, verbs+" on "+strings.Join(what, ", "))
	}
	return out
}
