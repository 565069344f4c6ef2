//go:build tools

package operators

import _ "github.com/kubeflow/training-operator/cmd/training-operator.v1"
