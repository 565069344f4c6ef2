package arch

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	archpkg "github.com/kubectl-katib/plugins/pkg/arch"
	"github.com/kubectl-katib/plugins/pkg/arch/archtest"
	"github.com/kubectl-katib/plugins/pkg/exitcode"
)

// explainCapacity runs the capacity topic on a fake cluster's model with -o format.
func explainCapacity(t *testing.T, topic, format string) (string, error) {
	t.Helper()
	m, err := archpkg.Discover(context.Background(), archtest.Troubled())
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	o := &ExplainOptions{Topic: topic, IOStreams: genericiooptions.IOStreams{Out: &out}}
	cmd := &cobra.Command{}
	o.add(cmd, true, diagramFormats)
	if format != "" {
		if err := cmd.Flags().Set("output", format); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.Validate(); err != nil {
		return "", err
	}
	err = o.capacity(m)
	return out.String(), err
}

func TestExplainCapacityFormats(t *testing.T) {
	out, err := explainCapacity(t, "nodes", "jsonpath={.kind} {.nodes[0].name} {.pools[0].name}")
	if err != nil || out != "Capacity gpu-1 gpu/a2-highgpu-2g/v1.36.3" {
		t.Errorf("jsonpath: %v %q", err, out)
	}
	out, err = explainCapacity(t, "capacity", "yaml")
	if err != nil || !strings.Contains(out, "kind: Capacity\n") || !strings.Contains(out, "apiVersion: arch.kubectl-katib.io/v1\n") {
		t.Errorf("yaml: %v\n%s", err, out)
	}
	out, err = explainCapacity(t, "capacity", "")
	if err != nil || !strings.Contains(out, "NVIDIA.COM/GPU") || !strings.Contains(out, "2/2 (100%)") {
		t.Errorf("text: %v\n%s", err, out)
	}
	if _, err := explainCapacity(t, "nodes", "svg"); exitcode.Of(err) != exitcode.Usage {
		t.Errorf("-o svg should be a usage error: %v", err)
	}
	if _, _, err := run(t, "explain", "nodes", "--offline"); exitcode.Of(err) != exitcode.Usage || !strings.Contains(err.Error(), "drop --offline") {
		t.Errorf("explain nodes --offline: %v", err)
	}
}
