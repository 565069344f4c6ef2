// Package benchexp is the experiment the benchmarks run through kubectl katib: random
// search over one parameter, each trial an echo-metric Pod that prints the parameter as
// its accuracy.
package benchexp

// Image is the trial image the benchmarks use, built and imported by hack/images.sh.
const Image = "localhost/kubectl-katib/echo-metric:v1"

// Experiment is n trials at the given parallelism; args go to echo-metric before the
// line it prints.
func Experiment(n, parallel int, args ...string) map[string]any {
	containerArgs := []any{}
	for _, a := range args {
		containerArgs = append(containerArgs, a)
	}
	containerArgs = append(containerArgs, "--print", "accuracy=${trialParameters.a}")
	return map[string]any{
		"apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment",
		"metadata": map[string]any{"name": "bench"},
		"spec": map[string]any{
			"objective":          map[string]any{"type": "maximize", "objectiveMetricName": "accuracy"},
			"algorithm":          map[string]any{"algorithmName": "random", "algorithmSettings": []any{map[string]any{"name": "random_state", "value": "1"}}},
			"parallelTrialCount": parallel, "maxTrialCount": n,
			"parameters": []any{map[string]any{"name": "a", "parameterType": "double", "feasibleSpace": map[string]any{"min": "0", "max": "1"}}},
			"trialTemplate": map[string]any{
				"primaryContainerName": "main",
				"trialParameters":      []any{map[string]any{"name": "a", "reference": "a"}},
				"trialSpec": map[string]any{
					"apiVersion": "v1", "kind": "Pod",
					"spec": map[string]any{
						"restartPolicy": "Never",
						"containers": []any{map[string]any{"name": "main", "image": Image, "imagePullPolicy": "Never",
							"args": containerArgs}},
					},
				},
			},
		},
	}
}
