package experiment

import (
	"encoding/json"

	"k8s.io/apimachinery/pkg/runtime"
)

// DeepCopyObject lets Experiment go through cli-runtime's printers. A JSON round trip is
// enough here: these objects are small and copied only for printing.
func (e *Experiment) DeepCopyObject() runtime.Object {
	out := &Experiment{}
	roundTrip(e, out)
	return out
}

// DeepCopyObject lets Trial go through cli-runtime's printers.
func (t *Trial) DeepCopyObject() runtime.Object {
	out := &Trial{}
	roundTrip(t, out)
	return out
}

func roundTrip(in, out any) {
	b, err := json.Marshal(in)
	if err != nil {
		panic(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		panic(err)
	}
}
