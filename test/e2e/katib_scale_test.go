//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Trials that report 10,000 values each, 16 of them: the experiment's state is well over the
// 1 MiB one Kubernetes object may hold. The run must succeed anyway, with exact metrics, no
// object above the limit, and a finished trial's log still readable afterwards.
func TestScaleStateOverOneMiB(t *testing.T) {
	ns := freshNamespace(t, "katib-scale")
	s := seriesExperiment{name: "many-reports", kind: "Pod", maxTrials: 16, parallel: 4, count: 10000, interval: 0, linger: time.Second}
	start := time.Now()
	c := startKatib(t, nil, "run", "-f", s.file(t), "-n", ns)
	code, out := c.wait(t, 3*time.Minute)
	t.Logf("run took %s; output:\n%s", time.Since(start).Round(100*time.Millisecond), out)
	if code != 0 {
		t.Errorf("run exited %d, want 0 (experiment Succeeded); stderr:\n%s", code, c.stderr.String())
	}
	trials := checkSeriesTrials(t, ns, s, false)
	checkNothingRuns(t, ns, s.name, trials)

	// The best trial's log, read after the run: its last line is the value recorded as latest.
	e := getExperiment(t, ns, s.name)
	best := e.Status.CurrentOptimalTrial.BestTrialName
	var bestTrial *katibTrial
	for i := range trials {
		if trials[i].Metadata.Name == best {
			bestTrial = &trials[i]
		}
	}
	if bestTrial == nil {
		t.Errorf("no recorded trial is the best trial %q", best)
	} else if want, err := expectedSeries(t, *bestTrial, s.count); err != nil {
		t.Errorf("best trial %s: %v", best, err)
	} else {
		r := katib(t, "logs", best, "-n", ns)
		last := lastLine(r.out)
		if r.code != 0 || last != "accuracy="+want.last {
			t.Errorf("kubectl katib logs %s (the best trial) after the run: exit %d, last line %q, want %q; stderr: %s",
				best, r.code, last, "accuracy="+want.last, strings.TrimSpace(r.errOut))
		} else {
			t.Logf("kubectl katib logs %s: %d lines, the last %q", best, strings.Count(r.out, "\n"), last)
		}
	}

	// The state's size: all of it over 1 MiB, no single object at or above it.
	var list struct {
		Items []json.RawMessage
	}
	if err := json.Unmarshal([]byte(kubectl(t, "get", "configmaps", "-n", ns, "-o", "json")), &list); err != nil {
		t.Fatal(err)
	}
	const mib = 1 << 20
	total := 0
	for _, pretty := range list.Items {
		// kubectl indents its output; the API server stores and sends objects compact.
		var buf bytes.Buffer
		if err := json.Compact(&buf, pretty); err != nil {
			t.Fatal(err)
		}
		item := buf.Bytes()
		var cm struct {
			Metadata struct{ Name string }
			Data     map[string]string
		}
		if err := json.Unmarshal(item, &cm); err != nil {
			t.Fatal(err)
		}
		data := 0
		for k, v := range cm.Data {
			data += len(k) + len(v)
		}
		total += len(item)
		t.Logf("configmap %s: %d bytes as JSON, %d bytes of data", cm.Metadata.Name, len(item), data)
		if len(item) >= mib {
			t.Errorf("configmap %s is %d bytes, at or above the 1 MiB an object may hold", cm.Metadata.Name, len(item))
		}
	}
	t.Logf("%d configmaps in namespace %s, %d bytes (%.2f MiB) in all", len(list.Items), ns, total, float64(total)/mib)
	if total <= mib {
		t.Errorf("the configmaps of namespace %s add up to %d bytes; this test means to store more than 1 MiB (%d)", ns, total, mib)
	}
}
