// Command bench-scale measures what kubectl katib costs on many short trials: N trials of a
// workload that prints one metric and exits, at parallel 25, through the plugin binary,
// against the same N Pods created directly with client-go at the same parallelism and
// awaited through one watch (the floor). For each N it reports both makespans and their
// ratio, the plugin's peak RSS, its API requests per trial (from the API server's audit
// log), the bytes it sent to and received from the API server per trial (counted by
// hack/faultproxy placed in between) and the size of the experiment's stored state.
//
//	go run ./hack/bench-scale -trials 100,500
//
// Several N run in one invocation, each measured floor first, then plugin, and one table
// compares them, so costs per trial at different N can be read side by side.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/kubectl-katib/plugins/hack/internal/benchexp"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/yaml"
)

const image = benchexp.Image

// result is one N's measurements.
type result struct {
	trials            int
	floor, plugin     time.Duration
	maxRSS            int64 // KiB
	requests          map[string]int
	unscoped          int // requests without a namespace (discovery): other clients' may be among them
	toAPI, fromAPI    int64
	connections       int64
	stateObjects      int
	stateBytes        int64
	succeeded, failed int
}

func main() {
	trialsFlag := flag.String("trials", "500", "trials (and Pods) per measurement; a comma-separated list runs each in turn, e.g. 100,500")
	parallel := flag.Int("parallel", 25, "trials (and Pods) running at once")
	plugin := flag.String("plugin", "bin/kubectl-katib", "the plugin binary, run directly so its own peak RSS is measured")
	audit := flag.String("audit-log", "", "the API server's audit log (default: .cluster/logs/audit.log)")
	flag.Parse()
	var ns []int
	for _, f := range strings.Split(*trialsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fail(fmt.Errorf("-trials: %q is not a positive number", f))
		}
		ns = append(ns, n)
	}
	if *audit == "" {
		*audit = filepath.Join(".cluster", "logs", "audit.log")
	}
	pluginBin, err := filepath.Abs(*plugin)
	check(err)
	if _, err := os.Stat(pluginBin); err != nil {
		fail(fmt.Errorf("%v (make build writes it)", err))
	}
	tmp, err := os.MkdirTemp("", "bench-scale-")
	check(err)
	defer os.RemoveAll(tmp)
	proxyBin := filepath.Join(tmp, "faultproxy")
	build := exec.Command("go", "build", "-o", proxyBin, "./hack/faultproxy")
	build.Stderr = os.Stderr
	check(build.Run())

	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, nil).ClientConfig()
	check(err)
	// The floor must not be held back by client-side rate limits.
	cfg.QPS, cfg.Burst = 500, 1000
	client := kubernetes.NewForConfigOrDie(cfg)
	ctx := context.Background()

	fmt.Printf("bench-scale: %v trials at parallel %d; plugin %s\n", ns, *parallel, pluginBin)
	var results []result
	for _, n := range ns {
		r := result{trials: n}
		namespace := fmt.Sprintf("bench-scale-%d-%d", n, time.Now().Unix())
		_, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}, metav1.CreateOptions{})
		check(err)
		waitForServiceAccount(ctx, client, namespace)

		r.floor = runDirect(ctx, client, namespace, n, *parallel)
		fmt.Printf("N=%d: floor (client-go Pods, one watch): %v\n", n, r.floor.Round(10*time.Millisecond))

		p := proxyFor(proxyBin, tmp, cfg.Host)
		start := time.Now()
		r.plugin, r.maxRSS = runPlugin(pluginBin, p.kubeconfig, tmp, namespace, n, *parallel)
		end := time.Now()
		r.connections, r.toAPI, r.fromAPI = p.stop()
		// The audit backend writes a stream's last event when the server notices the client
		// went away; give it a moment.
		time.Sleep(time.Second)
		r.requests, r.unscoped = countRequests(*audit, namespace, start, end)
		r.stateObjects, r.stateBytes = stateSize(ctx, client, namespace)
		r.succeeded, r.failed = trialCounts(pluginBin, namespace)
		fmt.Printf("N=%d: kubectl katib run: %v, peak RSS %.1f MiB, %d trials succeeded, %d failed\n",
			n, r.plugin.Round(10*time.Millisecond), float64(r.maxRSS)/1024, r.succeeded, r.failed)
		results = append(results, r)
		_ = client.CoreV1().Namespaces().Delete(ctx, namespace, metav1.DeleteOptions{})
	}
	report(os.Stdout, results, *parallel)
}

// runDirect creates the Pods with parallel workers, each waiting for its Pod to end, seen
// through one watch on the namespace, and deleting it (as the plugin deletes a succeeded
// trial's workload) before creating the next.
func runDirect(ctx context.Context, client kubernetes.Interface, ns string, n, parallel int) time.Duration {
	start := time.Now()
	var mu sync.Mutex
	waiting := map[string]chan struct{}{}
	ended := func(obj any) {
		p, ok := obj.(*corev1.Pod)
		if !ok || (p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed) {
			return
		}
		mu.Lock()
		ch := waiting[p.Name]
		delete(waiting, p.Name)
		mu.Unlock()
		if ch != nil {
			close(ch)
		}
	}
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(ns))
	inf := factory.Core().V1().Pods().Informer()
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: ended, UpdateFunc: func(_, obj any) { ended(obj) }})
	check(err)
	stop := make(chan struct{})
	defer close(stop)
	factory.Start(stop)
	factory.WaitForCacheSync(stop)

	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				name := fmt.Sprintf("direct-%d", i)
				done := make(chan struct{})
				mu.Lock()
				waiting[name] = done
				mu.Unlock()
				pod := &corev1.Pod{
					ObjectMeta: metav1.ObjectMeta{Name: name},
					Spec: corev1.PodSpec{
						RestartPolicy: corev1.RestartPolicyNever,
						Containers: []corev1.Container{{Name: "main", Image: image, ImagePullPolicy: corev1.PullNever,
							Args: []string{"--print", fmt.Sprintf("accuracy=0.%d", i+1)}}},
					},
				}
				_, err := client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
				check(err)
				<-done
				check(client.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{}))
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

// runPlugin runs the same trials as an experiment through the plugin binary itself (not
// through kubectl, so the process waited for is the plugin and its rusage is the plugin's),
// and returns the makespan and the peak RSS in KiB.
func runPlugin(bin, kubeconfig, dir, ns string, n, parallel int) (time.Duration, int64) {
	exp := benchexp.Experiment(n, parallel)
	data, err := yaml.Marshal(exp)
	check(err)
	file := filepath.Join(dir, ns+".yaml")
	check(os.WriteFile(file, data, 0o644))
	cmd := exec.Command(bin, "run", "-f", file, "-n", ns)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err = cmd.Run()
	took := time.Since(start)
	if err != nil {
		fail(fmt.Errorf("kubectl-katib run: %v\n%s", err, out.String()))
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss // KiB on Linux
	}
	return took, rss
}

// proxy is a hack/faultproxy process counting the plugin's bytes to and from the API server.
type proxy struct {
	cmd        *exec.Cmd
	lines      chan string
	kubeconfig string
}

// proxyFor starts a counting proxy in front of the API server at host and writes a
// kubeconfig that goes through it. TLS passes through the proxy untouched; the API server's
// certificate names 127.0.0.1, which stays valid on the proxy's port.
func proxyFor(bin, dir, host string) *proxy {
	u, err := url.Parse(host)
	check(err)
	cmd := exec.Command(bin, "-listen", "127.0.0.1:0", "-target", u.Host, "-for", "2h")
	stdout, err := cmd.StdoutPipe()
	check(err)
	cmd.Stderr = os.Stderr
	check(cmd.Start())
	p := &proxy{cmd: cmd, lines: make(chan string, 16)}
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			p.lines <- s.Text()
		}
		close(p.lines)
	}()
	first := <-p.lines
	addr, ok := strings.CutPrefix(first, "listening on ")
	if !ok {
		fail(fmt.Errorf("faultproxy said %q", first))
	}
	raw, err := clientcmd.NewDefaultClientConfigLoadingRules().Load()
	check(err)
	check(clientcmdapi.MinifyConfig(raw))
	check(clientcmdapi.FlattenConfig(raw))
	for _, c := range raw.Clusters {
		c.Server = "https://" + addr
	}
	p.kubeconfig = filepath.Join(dir, "proxied-"+strings.ReplaceAll(addr, ":", "-")+".kubeconfig")
	check(clientcmd.WriteToFile(*raw, p.kubeconfig))
	return p
}

var statsLine = regexp.MustCompile(`^stats: connections=(\d+) to_target=(\d+) from_target=(\d+)$`)

// stop ends the proxy and returns the connections it forwarded and the bytes each way.
func (p *proxy) stop() (conns, to, from int64) {
	check(p.cmd.Process.Signal(syscall.SIGTERM))
	for line := range p.lines {
		if m := statsLine.FindStringSubmatch(line); m != nil {
			conns, _ = strconv.ParseInt(m[1], 10, 64)
			to, _ = strconv.ParseInt(m[2], 10, 64)
			from, _ = strconv.ParseInt(m[3], 10, 64)
		}
	}
	_ = p.cmd.Wait()
	return conns, to, from
}

// countRequests tallies the completed requests of kubectl-katib received between since and
// until, by verb and resource: those in namespace ns, and apart those without a namespace
// (discovery), which another client of the same program could have made meanwhile.
func countRequests(path, ns string, since, until time.Time) (map[string]int, int) {
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "audit*.log"))
	counts := map[string]int{}
	unscoped := 0
	for _, name := range files {
		if fi, err := os.Stat(name); err != nil || fi.ModTime().Before(since) {
			continue // rotated before the run
		}
		f, err := os.Open(name)
		check(err)
		s := bufio.NewScanner(f)
		s.Buffer(make([]byte, 1<<20), 16<<20)
		for s.Scan() {
			if !bytes.Contains(s.Bytes(), []byte(`"kubectl-katib/`)) {
				continue
			}
			var ev struct {
				Stage                    string
				UserAgent                string
				Verb                     string
				RequestReceivedTimestamp time.Time
				ObjectRef                *struct{ Resource, Subresource, Namespace string }
			}
			if json.Unmarshal(s.Bytes(), &ev) != nil || ev.Stage != "ResponseComplete" || !strings.HasPrefix(ev.UserAgent, "kubectl-katib/") {
				continue
			}
			if ev.RequestReceivedTimestamp.Before(since) || ev.RequestReceivedTimestamp.After(until) {
				continue
			}
			if ev.ObjectRef == nil || ev.ObjectRef.Namespace == "" {
				unscoped++
				continue
			}
			if ev.ObjectRef.Namespace != ns {
				continue
			}
			what := ev.Verb + " " + ev.ObjectRef.Resource
			if ev.ObjectRef.Subresource != "" {
				what += "/" + ev.ObjectRef.Subresource
			}
			counts[what]++
		}
		check(s.Err())
		f.Close()
	}
	return counts, unscoped
}

// stateSize sums the ConfigMaps the experiment stored in its namespace (all of them but the
// CA bundle every namespace gets), each as the JSON the API server sends for it.
func stateSize(ctx context.Context, client kubernetes.Interface, ns string) (int, int64) {
	list, err := client.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	check(err)
	n, total := 0, int64(0)
	for i := range list.Items {
		cm := &list.Items[i]
		if cm.Name == "kube-root-ca.crt" {
			continue
		}
		data, err := json.Marshal(cm)
		check(err)
		n++
		total += int64(len(data))
	}
	return n, total
}

// trialCounts reads the experiment's trial counts through the plugin, which says what a
// user would see.
func trialCounts(bin, ns string) (succeeded, failed int) {
	out, err := exec.Command(bin, "get", "experiment", "bench", "-n", ns, "-o", "json").Output()
	check(err)
	var e struct {
		Status struct{ TrialsSucceeded, TrialsFailed int }
	}
	check(json.Unmarshal(out, &e))
	return e.Status.TrialsSucceeded, e.Status.TrialsFailed
}

func report(w io.Writer, results []result, parallel int) {
	fmt.Fprintf(w, "\none-line trials (echo-metric --print accuracy=...) at parallel %d; bytes are TLS bytes on the wire\n\n", parallel)
	fmt.Fprintf(w, "%7s  %9s  %13s  %6s  %9s  %9s  %13s  %13s  %s\n",
		"trials", "floor", "kubectl katib", "ratio", "peak RSS", "req/trial", "B sent/trial", "B recv/trial", "state")
	for _, r := range results {
		total := 0
		for _, c := range r.requests {
			total += c
		}
		fmt.Fprintf(w, "%7d  %9s  %13s  %6.3f  %5.1f MiB  %9.2f  %13.0f  %13.0f  %d ConfigMaps, %.1f KiB (%.0f B/trial)\n",
			r.trials, r.floor.Round(10*time.Millisecond), r.plugin.Round(10*time.Millisecond), float64(r.plugin)/float64(r.floor),
			float64(r.maxRSS)/1024, float64(total)/float64(r.trials),
			float64(r.toAPI)/float64(r.trials), float64(r.fromAPI)/float64(r.trials),
			r.stateObjects, float64(r.stateBytes)/1024, float64(r.stateBytes)/float64(r.trials))
	}
	fmt.Fprintf(w, "target: ratio <= 1.10\n")
	for _, r := range results {
		var keys []string
		total := 0
		for k, c := range r.requests {
			keys = append(keys, k)
			total += c
		}
		sort.Slice(keys, func(i, j int) bool {
			if r.requests[keys[i]] != r.requests[keys[j]] {
				return r.requests[keys[i]] > r.requests[keys[j]]
			}
			return keys[i] < keys[j]
		})
		fmt.Fprintf(w, "\nN=%d: %d API requests in the experiment's namespace (%d succeeded, %d failed trials) over %d connection(s); %d more without a namespace (discovery) in the same window, other clients' possibly among them\n",
			r.trials, total, r.succeeded, r.failed, r.connections, r.unscoped)
		for _, k := range keys {
			fmt.Fprintf(w, "  %6d  %7.2f/trial  %s\n", r.requests[k], float64(r.requests[k])/float64(r.trials), k)
		}
	}
}

func waitForServiceAccount(ctx context.Context, client kubernetes.Interface, ns string) {
	deadline := time.Now().Add(time.Minute)
	for {
		_, err := client.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			fail(fmt.Errorf("namespace %s has no default ServiceAccount after a minute: %v", ns, err))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func check(err error) {
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench-scale:", err)
	os.Exit(1)
}
