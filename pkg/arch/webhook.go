package arch

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"

	"github.com/kubectl-katib/plugins/pkg/arch/read"
)

// webhooks lists the admission webhooks with what they intercept and, when the Service's
// selector picks a workload's Pods, who answers them.
func webhooks(s *read.Snapshot, ws []workload) []Webhook {
	out := []Webhook{}
	for _, h := range admissionHooks(s) {
		w := Webhook{Name: h.name, Kind: h.kind, Configuration: h.config, Intercepts: intercepts(h.rules), Rules: rules(h.rules),
			// The API server's defaults, for configurations read before defaulting (tests).
			FailurePolicy: string(admissionregistrationv1.Fail), TimeoutSeconds: 10}
		if h.failurePolicy != nil {
			w.FailurePolicy = string(*h.failurePolicy)
		}
		if h.timeoutSeconds != nil {
			w.TimeoutSeconds = *h.timeoutSeconds
		}
		switch {
		case h.service != nil:
			w.Service = h.service.Namespace + "/" + h.service.Name
			if behind := workloadsBehind(s, ws, h.service.Namespace, h.service.Name); len(behind) > 0 {
				w.ServedBy = strings.ToLower(behind[0].kind) + " " + behind[0].namespace + "/" + behind[0].name
				w.Ready = fmt.Sprintf("%d/%d", behind[0].ready, behind[0].wanted)
			}
		case h.url != nil:
			w.URL = *h.url
		}
		out = append(out, w)
	}
	return out
}

func rules(in []admissionregistrationv1.RuleWithOperations) []WebhookRule {
	out := []WebhookRule{}
	for _, r := range in {
		wr := WebhookRule{Operations: []string{}, APIGroups: append([]string{}, r.APIGroups...), Resources: append([]string{}, r.Resources...)}
		for _, op := range r.Operations {
			wr.Operations = append(wr.Operations, string(op))
		}
		out = append(out, wr)
	}
	return out
}

// webhookWarnings warn of webhooks whose workload has no ready Pod: with failurePolicy Fail
// the writes they intercept are refused, the most common way one component takes down
// writes across a cluster.
func webhookWarnings(hooks []Webhook, n *notes) {
	for _, w := range hooks {
		if !w.Down() {
			continue
		}
		effect := "the writes it intercepts are refused"
		if w.FailurePolicy == "Ignore" {
			effect = "the writes it intercepts go through unchecked"
		}
		n.warnings = append(n.warnings, fmt.Sprintf("The %s webhook %s is answered by %s, which has no ready Pod (%s): %s (%s) until it is back.",
			w.Kind, w.Name, w.ServedBy, w.Ready, effect, strings.Join(w.Intercepts, "; ")))
	}
}

// WebhooksFor lists the webhooks kube-apiserver calls for some write to plural.group.
func (m *Model) WebhooksFor(group, plural string) []Webhook {
	var out []Webhook
	for _, w := range m.Webhooks {
		for _, r := range w.Rules {
			if r.Covers(group, plural) {
				out = append(out, w)
				break
			}
		}
	}
	return out
}

// intercepts summarises webhook rules as "CREATE,UPDATE deployments.apps, pods".
func intercepts(rules []admissionregistrationv1.RuleWithOperations) []string {
	var out []string
	for _, rule := range rules {
		ops := make([]string, 0, len(rule.Operations))
		for _, op := range rule.Operations {
			ops = append(ops, string(op))
		}
		sort.Strings(ops)
		what := "every resource"
		if !(slices.Contains(rule.APIGroups, "*") && (slices.Contains(rule.Resources, "*") || slices.Contains(rule.Resources, "*/*"))) {
			var res []string
			for _, g := range rule.APIGroups {
				for _, r := range rule.Resources {
					switch {
					case g == "*":
						res = append(res, r+" in every group")
					case g == "":
						res = append(res, r)
					default:
						res = append(res, r+"."+g)
					}
				}
			}
			what = strings.Join(res, ", ")
		}
		verbs := strings.Join(ops, ",")
		if slices.Contains(ops, "*") {
			verbs = "every write to"
		}
		out = append(out, verbs+" "+what)
	}
	return out
}
