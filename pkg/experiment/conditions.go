package experiment

import (
	"encoding/json"
	"fmt"

	"github.com/tidwall/gjson"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// EvalCondition evaluates a trial template's successCondition or failureCondition on a
// workload the way Katib's trial controller does (GetDeployedJobStatus): the gjson query
// is run on the workload's JSON and the condition holds when the result is an object or
// a non-empty array. obj is the workload as JSON ([]byte or string), a decoded map, an
// *unstructured.Unstructured, or any value that marshals to JSON (a *batchv1.Job).
func EvalCondition(obj any, cond string) (bool, error) {
	ok, _, _, err := ConditionDetail(obj, cond)
	return ok, err
}

// ConditionDetail is EvalCondition plus the reason and message of the matched element
// (the Job condition or the Pod status), which Katib copies into the trial's condition.
func ConditionDetail(obj any, cond string) (matched bool, reason, message string, err error) {
	if cond == "" {
		return false, "", "", fmt.Errorf("the condition is empty; set spec.trialTemplate.successCondition and failureCondition (gjson queries)")
	}
	js, err := toJSON(obj)
	if err != nil {
		return false, "", "", err
	}
	r := gjson.GetBytes(js, cond)
	var first gjson.Result
	switch {
	case r.IsObject():
		first = r
	case r.IsArray() && len(r.Array()) > 0:
		first = r.Array()[0]
	default:
		return false, "", "", nil
	}
	return true, first.Get("reason").String(), first.Get("message").String(), nil
}

func toJSON(obj any) ([]byte, error) {
	var js []byte
	var err error
	switch o := obj.(type) {
	case []byte:
		js = o
	case string:
		js = []byte(o)
	case *unstructured.Unstructured:
		js, err = json.Marshal(o.Object)
	default:
		js, err = json.Marshal(o)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot turn the workload into JSON to evaluate its condition: %w", err)
	}
	if !gjson.ValidBytes(js) {
		return nil, fmt.Errorf("the workload is not valid JSON, so its condition cannot be evaluated")
	}
	return js, nil
}
