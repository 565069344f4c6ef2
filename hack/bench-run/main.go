// Command bench-run measures what running trials through kubectl katib costs over creating
// the same Pods directly: the makespan of N trials that sleep and print a metric, at a fixed
// parallelism, against N Pods created with client-go at the same parallelism and awaited
// through a watch (the floor). It also counts the plugin's API requests per trial in the API
// server's audit log. Both are measured in the same run, alternating, on the same cluster.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/kubectl-katib/plugins/hack/internal/benchexp"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	watchtools "k8s.io/client-go/tools/watch"
	"sigs.k8s.io/yaml"
)

const image = benchexp.Image

func main() {
	trials := flag.Int("trials", 20, "trials (and Pods) per measurement")
	parallel := flag.Int("parallel", 4, "trials running at once")
	sleep := flag.Duration("sleep", 2*time.Second, "how long each trial sleeps before printing its metric")
	rounds := flag.Int("rounds", 2, "measurements of each side, alternating")
	audit := flag.String("audit-log", "", "the API server's audit log (default: .cluster/logs/audit.log)")
	flag.Parse()
	if *audit == "" {
		*audit = filepath.Join(".cluster", "logs", "audit.log")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", os.Getenv("KUBECONFIG"))
	check(err)
	cfg.QPS, cfg.Burst = 50, 100
	client := kubernetes.NewForConfigOrDie(cfg)
	ctx := context.Background()

	var direct, plugin []time.Duration
	var requests []map[string]int
	for round := 0; round < *rounds; round++ {
		ns := fmt.Sprintf("bench-run-%d-%d", time.Now().Unix(), round)
		_, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		check(err)
		waitForServiceAccount(ctx, client, ns)

		d := runDirect(ctx, client, ns, *trials, *parallel, *sleep)
		direct = append(direct, d)
		fmt.Printf("round %d: direct client-go Pods: %v\n", round+1, d.Round(10*time.Millisecond))

		start := time.Now()
		p := runPlugin(ns, *trials, *parallel, *sleep)
		plugin = append(plugin, p)
		requests = append(requests, countRequests(*audit, start))
		fmt.Printf("round %d: kubectl katib run:      %v\n", round+1, p.Round(10*time.Millisecond))
		_ = client.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
	}
	md, mp := median(direct), median(plugin)
	fmt.Printf("\n%d trials of a %v sleep at parallel %d, %d rounds (medians)\n", *trials, *sleep, *parallel, *rounds)
	fmt.Printf("  floor (client-go Pods, watched): %v\n", md.Round(10*time.Millisecond))
	fmt.Printf("  kubectl katib run:               %v\n", mp.Round(10*time.Millisecond))
	fmt.Printf("  ratio: %.3f (target <= 1.03)\n", float64(mp)/float64(md))
	last := requests[len(requests)-1]
	total := 0
	var keys []string
	for k, n := range last {
		total += n
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return last[keys[i]] > last[keys[j]] })
	fmt.Printf("\nAPI requests by kubectl-katib in the last round: %d, %.2f per trial (target <= 5)\n", total, float64(total)/float64(*trials))
	for _, k := range keys {
		fmt.Printf("  %5d  %s\n", last[k], k)
	}
}

// runDirect creates the Pods with parallel workers, each waiting for its Pod to finish
// through a watch before creating the next.
func runDirect(ctx context.Context, client kubernetes.Interface, ns string, n, parallel int, sleep time.Duration) time.Duration {
	start := time.Now()
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				name := fmt.Sprintf("direct-%d", i)
				pod := &corev1.Pod{
					ObjectMeta: metav1.ObjectMeta{Name: name},
					Spec: corev1.PodSpec{
						RestartPolicy: corev1.RestartPolicyNever,
						Containers: []corev1.Container{{Name: "main", Image: image, ImagePullPolicy: corev1.PullNever,
							Args: []string{"--sleep=" + sleep.String(), "--print", fmt.Sprintf("accuracy=0.%d", i)}}},
					},
				}
				_, err := client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
				check(err)
				lw := &watchListWatch{client: client, ns: ns, name: name}
				_, err = watchtools.UntilWithSync(ctx, lw.ListWatch(), &corev1.Pod{}, nil, func(ev watchEvent) (bool, error) {
					p, ok := ev.Object.(*corev1.Pod)
					return ok && (p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed), nil
				})
				check(err)
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	return time.Since(start)
}

// runPlugin runs the same trials as an experiment through the real kubectl.
func runPlugin(ns string, n, parallel int, sleep time.Duration) time.Duration {
	exp := benchexp.Experiment(n, parallel, "--sleep="+sleep.String())
	data, err := yaml.Marshal(exp)
	check(err)
	file := filepath.Join(os.TempDir(), "bench-run-"+ns+".yaml")
	check(os.WriteFile(file, data, 0o644))
	defer os.Remove(file)
	start := time.Now()
	cmd := exec.Command("kubectl", "katib", "run", "-f", file, "-n", ns)
	out, err := cmd.CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "kubectl katib run failed: %v\n%s", err, out)
		os.Exit(1)
	}
	return time.Since(start)
}

// countRequests tallies the audit log's completed requests from kubectl-katib since start,
// by verb and resource.
func countRequests(path string, since time.Time) map[string]int {
	f, err := os.Open(path)
	check(err)
	defer f.Close()
	counts := map[string]int{}
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 1<<20), 16<<20)
	for s.Scan() {
		var ev struct {
			Stage                    string
			UserAgent                string
			Verb                     string
			RequestReceivedTimestamp time.Time
			ObjectRef                *struct{ Resource, Subresource string }
		}
		if json.Unmarshal(s.Bytes(), &ev) != nil || ev.Stage != "ResponseComplete" && ev.Stage != "ResponseStarted" {
			continue
		}
		if !strings.HasPrefix(ev.UserAgent, "kubectl-katib/") || ev.RequestReceivedTimestamp.Before(since) {
			continue
		}
		if ev.Stage == "ResponseStarted" {
			continue // a watch or log stream: counted once at ResponseComplete
		}
		what := ev.Verb
		if ev.ObjectRef != nil {
			what += " " + ev.ObjectRef.Resource
			if ev.ObjectRef.Subresource != "" {
				what += "/" + ev.ObjectRef.Subresource
			}
		}
		counts[what]++
	}
	return counts
}

func waitForServiceAccount(ctx context.Context, client kubernetes.Interface, ns string) {
	sel := fields.OneTermEqualSelector("metadata.name", "default").String()
	lw := &watchListWatch{client: client, ns: ns, fieldSelector: sel, serviceAccounts: true}
	_, err := watchtools.UntilWithSync(ctx, lw.ListWatch(), &corev1.ServiceAccount{}, nil, func(ev watchEvent) (bool, error) {
		return ev.Object != nil, nil
	})
	check(err)
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-run:", err)
		os.Exit(1)
	}
}
