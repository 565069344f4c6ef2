package archtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"github.com/kubectl-katib/plugins/pkg/arch/read"
)

// Troubled is a cluster with two node pools (one of GPU nodes) and one thing of each kind
// wrong: a NotReady node, a crash-looping Pod, a Pod no node can take, a Deployment short
// of replicas and a client certificate that expires in ten days. Pods use init containers,
// a native sidecar and pod overhead so requests are counted as the scheduler counts them.
func Troubled() read.Source {
	_, _, src := build(troubledObjects(), nil)
	return src
}

// TroubledForbidden is Troubled for a user who may not list what forbidden names
// ("nodes", "pods"); every other read is allowed.
func TroubledForbidden(forbidden ...string) read.Source {
	cs, _, src := build(troubledObjects(), nil)
	for _, res := range forbidden {
		cs.PrependReactor("list", res, func(a k8stesting.Action) (bool, runtime.Object, error) {
			// Only the cluster-wide list is refused; a namespaced one is the kube-system read.
			if a.GetNamespace() != "" {
				return false, nil, nil
			}
			gr := a.GetResource().GroupResource()
			return true, nil, apierrors.NewForbidden(gr, "", fmt.Errorf("user \"dev\" cannot list resource %q at the cluster scope", gr.Resource))
		})
	}
	return src
}

func q(s string) resource.Quantity { return resource.MustParse(s) }

func poolNode(name, pool, instance string, gpus string, ready bool) *corev1.Node {
	n := node(name)
	n.Labels["cloud.google.com/gke-nodepool"] = pool
	n.Labels[corev1.LabelInstanceTypeStable] = instance
	if gpus != "" {
		n.Status.Allocatable["nvidia.com/gpu"] = q(gpus)
		n.Status.Capacity["nvidia.com/gpu"] = q(gpus)
	}
	if !ready {
		n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionUnknown, Reason: "NodeStatusUnknown",
			Message: "Kubelet stopped posting node status."}}
	}
	return n
}

func requests(cpu, mem string) corev1.ResourceRequirements {
	r := corev1.ResourceList{}
	if cpu != "" {
		r[corev1.ResourceCPU] = q(cpu)
	}
	if mem != "" {
		r[corev1.ResourceMemory] = q(mem)
	}
	return corev1.ResourceRequirements{Requests: r}
}

func pod(ns, name, node string, phase corev1.PodPhase, containers ...corev1.Container) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: meta(ns, name, nil), Spec: corev1.PodSpec{NodeName: node, Containers: containers},
		Status: corev1.PodStatus{Phase: phase}}
}

func troubledObjects() []runtime.Object {
	// web: the app containers (750m) run with the sidecar (100m): 850m; the migrate init
	// container runs next to the sidecar started before it: 1100m, the larger, plus 50m
	// overhead is 1150m. Memory: 256Mi+64Mi against 128Mi+64Mi, plus 10Mi: 330Mi.
	web := pod("shop", "web-0", "pool-a-1", corev1.PodRunning,
		corev1.Container{Name: "app", Resources: requests("500m", "256Mi")},
		corev1.Container{Name: "metrics", Resources: requests("250m", "")})
	web.Spec.InitContainers = []corev1.Container{
		{Name: "proxy", RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways), Resources: requests("100m", "64Mi")},
		{Name: "migrate", Resources: requests("1", "128Mi")},
	}
	web.Spec.Overhead = corev1.ResourceList{corev1.ResourceCPU: q("50m"), corev1.ResourceMemory: q("10Mi")}

	crash := pod("shop", "worker-7f9c", "pool-a-1", corev1.PodRunning, corev1.Container{Name: "worker", Resources: requests("200m", "1Gi")})
	crash.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "worker", RestartCount: 7,
		State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 5m0s restarting failed container"}},
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Error", ExitCode: 1}}}}

	small := pod("shop", "cron-1", "pool-a-1", corev1.PodRunning, corev1.Container{Name: "c", Resources: requests("10m", "16Mi")})
	tiny := pod("shop", "sleeper", "pool-a-1", corev1.PodRunning, corev1.Container{Name: "c"})
	// Finished Pods hold nothing.
	done := pod("shop", "job-done", "pool-a-1", corev1.PodSucceeded, corev1.Container{Name: "c", Resources: requests("3", "10Gi")})

	train := pod("ml", "train-0", "gpu-1", corev1.PodRunning, corev1.Container{Name: "train", Resources: corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: q("1"), corev1.ResourceMemory: q("4Gi"), "nvidia.com/gpu": q("2")}}})

	pending := pod("ml", "huge", "", corev1.PodPending, corev1.Container{Name: "c", Resources: requests("1000", "")})
	pending.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable",
		Message: "0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."}}

	short := &appsv1.Deployment{ObjectMeta: meta("shop", "api", nil), Spec: appsv1.DeploymentSpec{Replicas: ptr.To(int32(3))},
		Status: appsv1.DeploymentStatus{Replicas: 3, ReadyReplicas: 1, AvailableReplicas: 1, Conditions: []appsv1.DeploymentCondition{
			{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionFalse, Reason: "MinimumReplicasUnavailable", Message: "Deployment does not have minimum availability."},
			{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded", Message: "ReplicaSet \"api-5d8f\" has timed out progressing."}}}}
	fine := &appsv1.Deployment{ObjectMeta: meta("shop", "cart", nil), Spec: appsv1.DeploymentSpec{Replicas: ptr.To(int32(2))},
		Status: appsv1.DeploymentStatus{Replicas: 2, ReadyReplicas: 2, AvailableReplicas: 2}}

	return []runtime.Object{
		poolNode("pool-a-1", "pool-a", "e2-standard-4", "", true),
		poolNode("pool-a-2", "pool-a", "e2-standard-4", "", false),
		poolNode("gpu-1", "gpu", "a2-highgpu-2g", "2", true),
		web, crash, small, tiny, done, train, pending, short, fine,
		csr("node-csr-expiring", "kubernetes.io/kube-apiserver-client-kubelet", Now.Add(10*24*time.Hour)),
		csr("node-csr-fresh", "kubernetes.io/kube-apiserver-client-kubelet", Now.Add(300*24*time.Hour)),
	}
}

// csr is an approved CertificateSigningRequest whose issued certificate ends at notAfter.
func csr(name, signer string, notAfter time.Time) *certificatesv1.CertificateSigningRequest {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "system:node:" + name},
		NotBefore: notAfter.Add(-365 * 24 * time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	return &certificatesv1.CertificateSigningRequest{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:   certificatesv1.CertificateSigningRequestSpec{SignerName: signer},
		Status: certificatesv1.CertificateSigningRequestStatus{Certificate: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}}
}
