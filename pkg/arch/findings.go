package arch

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
)

// Finding severities: an error is something broken now, a warning something that will
// break or is degraded.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// certWarning is how far ahead an expiring certificate is reported.
const certWarning = 30 * 24 * time.Hour

// Finding is one thing wrong in the cluster, named by its object, with a one-line reason.
type Finding struct {
	Severity  string `json:"severity"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	// Reason is a CamelCase word scripts can match (CrashLoopBackOff, Unschedulable).
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

// waitingProblems are container waiting reasons that do not clear on their own.
var waitingProblems = map[string]string{
	"CrashLoopBackOff":           SeverityError,
	"ImagePullBackOff":           SeverityError,
	"ErrImagePull":               SeverityError,
	"InvalidImageName":           SeverityError,
	"CreateContainerConfigError": SeverityError,
	"CreateContainerError":       SeverityError,
}

// podFinding names what keeps a Pod from running: a container that keeps crashing or
// cannot start, or a Pod the scheduler cannot place.
func podFinding(p *corev1.Pod) *Finding {
	statuses := append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...)
	for _, cs := range statuses {
		w := cs.State.Waiting
		if w == nil || waitingProblems[w.Reason] == "" {
			continue
		}
		f := &Finding{Severity: waitingProblems[w.Reason], Kind: "Pod", Namespace: p.Namespace, Name: p.Name, Reason: w.Reason}
		if w.Reason == "CrashLoopBackOff" {
			f.Message = fmt.Sprintf("container %s restarted %d times", cs.Name, cs.RestartCount)
			if t := cs.LastTerminationState.Terminated; t != nil {
				f.Message += fmt.Sprintf("; last exit: %s (exit code %d)", orWord(t.Reason, "terminated"), t.ExitCode)
				if msg := oneLine(t.Message); msg != "" {
					f.Message += ": " + msg
				}
			}
		} else {
			f.Message = fmt.Sprintf("container %s: %s", cs.Name, orWord(oneLine(w.Message), "waiting"))
		}
		return f
	}
	if p.Status.Phase == corev1.PodPending && p.Spec.NodeName == "" {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
				return &Finding{Severity: SeverityWarning, Kind: "Pod", Namespace: p.Namespace, Name: p.Name,
					Reason: orWord(c.Reason, "Pending"), Message: orWord(oneLine(c.Message), "the scheduler has not placed it")}
			}
		}
	}
	return nil
}

// nodeFindings names nodes whose kubelet does not report Ready.
func nodeFindings(nodes []corev1.Node) []Finding {
	var out []Finding
	for _, n := range nodes {
		var ready *corev1.NodeCondition
		for i := range n.Status.Conditions {
			if n.Status.Conditions[i].Type == corev1.NodeReady {
				ready = &n.Status.Conditions[i]
			}
		}
		switch {
		case ready == nil:
			out = append(out, Finding{Severity: SeverityError, Kind: "Node", Name: n.Name, Reason: "NotReady", Message: "the kubelet has not reported a Ready condition"})
		case ready.Status != corev1.ConditionTrue:
			msg := oneLine(ready.Message)
			if msg == "" {
				msg = "Ready is " + string(ready.Status)
			}
			out = append(out, Finding{Severity: SeverityError, Kind: "Node", Name: n.Name, Reason: "NotReady", Message: orWord(ready.Reason, "NotReady") + ": " + msg})
		}
	}
	return out
}

// deploymentFindings names Deployments with fewer available replicas than they want, with
// what the deployment controller says about the rollout.
func deploymentFindings(deploys []appsv1.Deployment) []Finding {
	var out []Finding
	for _, d := range deploys {
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		if d.Status.AvailableReplicas >= want || d.Spec.Paused {
			continue
		}
		f := Finding{Severity: SeverityWarning, Kind: "Deployment", Namespace: d.Namespace, Name: d.Name, Reason: "ReplicasUnavailable",
			Message: fmt.Sprintf("%d of %d replicas available", d.Status.AvailableReplicas, want)}
		var said string
		for _, c := range d.Status.Conditions {
			switch {
			case c.Type == appsv1.DeploymentProgressing && c.Status == corev1.ConditionFalse:
				f.Severity, f.Reason, said = SeverityError, orWord(c.Reason, "NotProgressing"), c.Message
			case c.Type == appsv1.DeploymentAvailable && c.Status != corev1.ConditionTrue && said == "":
				said = c.Message
			case c.Type == appsv1.DeploymentReplicaFailure && c.Status == corev1.ConditionTrue:
				f.Severity, f.Reason, said = SeverityError, orWord(c.Reason, "ReplicaFailure"), c.Message
			}
		}
		if msg := oneLine(said); msg != "" {
			f.Message += "; " + msg
		}
		out = append(out, f)
	}
	return out
}

// csrFindings names certificates issued through the API that have expired or expire soon.
func csrFindings(csrs []certificatesv1.CertificateSigningRequest, now time.Time) []Finding {
	var out []Finding
	for _, c := range csrs {
		cert := firstCert(c.Status.Certificate)
		if cert == nil {
			continue
		}
		if f := certFinding(cert, now); f != nil {
			f.Kind, f.Name = "CertificateSigningRequest", c.Name
			f.Message = fmt.Sprintf("issued certificate for %s (signer %s) %s", cert.Subject.CommonName, c.Spec.SignerName, f.Message)
			out = append(out, *f)
		}
	}
	return out
}

// servingCertFindings checks the certificate the API server presented on connecting.
func servingCertFindings(server string, certs []*x509.Certificate, now time.Time) []Finding {
	if len(certs) == 0 {
		return nil
	}
	f := certFinding(certs[0], now)
	if f == nil {
		return nil
	}
	// The host alone names the server; the scheme says nothing here.
	if u, err := url.Parse(server); err == nil && u.Host != "" {
		server = u.Host
	}
	f.Kind, f.Name = "APIServerCertificate", server
	f.Message = "the API server's serving certificate " + f.Message
	return []Finding{*f}
}

func certFinding(cert *x509.Certificate, now time.Time) *Finding {
	left := cert.NotAfter.Sub(now)
	when := cert.NotAfter.UTC().Format(time.RFC3339)
	switch {
	case left <= 0:
		return &Finding{Severity: SeverityError, Reason: "CertificateExpired", Message: fmt.Sprintf("expired at %s", when)}
	case left < certWarning:
		return &Finding{Severity: SeverityWarning, Reason: "CertificateExpiring", Message: fmt.Sprintf("expires at %s, in %s", when, days(left))}
	}
	return nil
}

func days(d time.Duration) string {
	n := int(d.Hours() / 24)
	if n == 1 {
		return "1 day"
	}
	if n == 0 {
		return fmt.Sprintf("%d hours", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", n)
}

func firstCert(b []byte) *x509.Certificate {
	for len(b) > 0 {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			return nil
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil
		}
		return cert
	}
	return nil
}

// webhookFindings repeat, per webhook, the warning that its workload has no ready Pod,
// so scripts find it among the findings too.
func webhookFindings(hooks []Webhook) []Finding {
	var out []Finding
	for _, h := range hooks {
		if !h.Down() {
			continue
		}
		kind := "ValidatingWebhookConfiguration"
		if h.Kind == "mutating" {
			kind = "MutatingWebhookConfiguration"
		}
		sev := SeverityError
		if h.FailurePolicy == "Ignore" {
			sev = SeverityWarning
		}
		out = append(out, Finding{Severity: sev, Kind: kind, Name: h.Configuration, Reason: "NoReadyEndpoints",
			Message: fmt.Sprintf("webhook %s is answered by %s, which has no ready Pod (%s); failurePolicy %s", h.Name, h.Answerer(), h.Ready, h.FailurePolicy)})
	}
	return out
}

// sortFindings puts errors first, then by kind and object, so the text reads the same on
// every run.
func sortFindings(fs []Finding) {
	rank := map[string]int{SeverityError: 0, SeverityWarning: 1}
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if rank[a.Severity] != rank[b.Severity] {
			return rank[a.Severity] < rank[b.Severity]
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Namespace+"/"+a.Name < b.Namespace+"/"+b.Name
	})
}

// Ref names the object as people read it: the kind, then namespace/name.
func (f Finding) Ref() string {
	if f.Namespace != "" {
		return f.Kind + " " + f.Namespace + "/" + f.Name
	}
	return f.Kind + " " + f.Name
}

func orWord(s, word string) string {
	if s == "" {
		return word
	}
	return s
}

// oneLine keeps a message to one line: kubelet and scheduler messages may carry newlines.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	const limit = 300
	if len(s) > limit {
		s = s[:limit] + "..."
	}
	return strings.TrimSuffix(s, ".")
}
