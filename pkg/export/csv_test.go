package export

import (
	"bytes"
	"encoding/csv"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/store"
)

func csvOf(t *testing.T, st *store.State) string {
	t.Helper()
	var b bytes.Buffer
	if err := CSV(&b, st); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestCSVSmall(t *testing.T) {
	want := "name,index,state,x,loss,objective,creationTime,startTime,completionTime,durationSeconds\n" +
		"small-a,0,Succeeded,-0.5,0.25,0.25,2025-03-04T10:00:00Z,2025-03-04T10:00:01Z,2025-03-04T10:00:04Z,3\n" +
		"small-b,1,Running,1,,,2025-03-04T10:00:05Z,2025-03-04T10:00:06Z,,\n"
	if got := csvOf(t, small()); got != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", got, want)
	}
}

// fixtureRows is the fixture's CSV as encoding/csv reads it back, header first.
func fixtureRows(t *testing.T, st *store.State) (string, [][]string) {
	t.Helper()
	out := csvOf(t, st)
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("reading back %q: %v", out, err)
	}
	return out, rows
}

func TestCSVFixture(t *testing.T) {
	_, rows := fixtureRows(t, fixture())
	wantHeader := []string{"name", "index", "state", "lr", "momentum", "dropout", "warmup", "layers", "batch",
		"optimizer", "width", "ratio", "accuracy", "loss", "objective", "creationTime", "startTime",
		"completionTime", "durationSeconds"}
	if !reflect.DeepEqual(rows[0], wantHeader) {
		t.Fatalf("header %q, want %q", rows[0], wantHeader)
	}
	want := map[string][]string{
		"mnist-hp-a": {"mnist-hp-a", "0", "Succeeded", "0.001", "0.9", "0.5", "2.75", "3", "128", "adam", "64", "0.5",
			"0.91", "0.25", "0.91", "2025-03-04T10:00:01Z", "2025-03-04T10:00:02Z", "2025-03-04T10:01:02Z", "60"},
		"mnist-hp-b": {"mnist-hp-b", "1", "Failed", "0.0001", "0.99", "0.1", "0", "8", "16", "rmsprop", "32", "1",
			"", "", "", "2025-03-04T10:00:10Z", "2025-03-04T10:00:11Z", "2025-03-04T10:00:15Z", "4"},
		"mnist-hp-d": {"mnist-hp-d", "3", "Running", "0.01", "0.7", "0.3", "5", "4", "64", "adam", "32", "0.5",
			"0.4", "", "", "2025-03-04T10:00:30Z", "2025-03-04T10:00:31Z", "", ""},
		"mnist-hp-f": {"mnist-hp-f", "5", "Succeeded", "0.02", "0.8", "0.1", "3", "6", "32", "adam", "64", "0.25",
			"nan", "0.5", "NaN", "2025-03-04T10:00:41Z", "2025-03-04T10:00:43Z", "2025-03-04T10:01:10Z", "27"},
		"mnist-hp-i": {"mnist-hp-i", "8", "Succeeded", "0.004", "0.55", "0.1", "7", "1", "16", "adam", "32", "0.25",
			"-inf", "1", "-Inf", "2025-03-04T10:00:49Z", "2025-03-04T10:00:50Z", "2025-03-04T10:01:35Z", "45"},
		"mnist-hp-j": {"mnist-hp-j", "9", "Pending", "0.005", "0.65", "0.5", "8", "3", "128", "sgd", "64", "0.5",
			"", "", "", "", "", "", ""},
	}
	if len(rows) != 1+len(fixture().Trials) {
		t.Fatalf("%d rows, want a header and %d trials", len(rows), len(fixture().Trials))
	}
	for i, row := range rows[1:] {
		if row[1] != strconv.Itoa(i) {
			t.Errorf("row %d has index %s: rows are not in index order", i+1, row[1])
		}
		if w, ok := want[row[0]]; ok && !reflect.DeepEqual(row, w) {
			t.Errorf("row %s\n got %q\nwant %q", row[0], row, w)
		}
	}
}

// Values that need quoting survive, and columns follow parameters and metrics no spec names.
func TestCSVQuotingAndExtraColumns(t *testing.T) {
	st := tricky()
	_, rows := fixtureRows(t, st)
	if got := rows[0][3:7]; !reflect.DeepEqual(got, []string{"x", "note", "loss", "extra, metric"}) {
		t.Errorf("header %q", rows[0])
	}
	// encoding/csv reads a quoted \r\n as \n; Python's csv keeps it (TestCSVReadByPython).
	if got, want := rows[1][4], strings.ReplaceAll(trickyNote, "\r\n", "\n"); got != want {
		t.Errorf("note read back as %q, want %q", got, want)
	}
	if got := rows[1][6]; got != `"7"` {
		t.Errorf("extra metric read back as %q", got)
	}
}

const trickyNote = "comma, \"quote\"\nnew line\r\nand é"

// tricky is small with an assignment and a metric that CSV has to quote, neither in the spec.
func tricky() *store.State {
	st := small()
	st.Trials[1].Assignments = append(st.Trials[1].Assignments,
		experiment.ParameterAssignment{Name: "note", Value: trickyNote})
	st.Trials[1].Observation = observed(experiment.Metric{Name: "extra, metric", Latest: `"7"`})
	st.Trials[0], st.Trials[1] = st.Trials[1], st.Trials[0]
	return st
}

// Python's csv module reads the export as encoding/csv does.
func TestCSVReadByPython(t *testing.T) {
	py := python(t, "csv")
	for name, st := range map[string]*store.State{"fixture": fixture(), "tricky": tricky()} {
		out, rows := fixtureRows(t, st)
		var got [][]string
		runPython(t, py, "csv_read.py", &got, writeTemp(t, name+".csv", []byte(out)))
		if name == "tricky" && got[1][4] != trickyNote {
			t.Errorf("Python read the note as %q, want %q", got[1][4], trickyNote)
		}
		// encoding/csv reads a quoted \r\n as \n; otherwise the readers agree.
		for _, row := range got {
			for i := range row {
				row[i] = strings.ReplaceAll(row[i], "\r\n", "\n")
			}
		}
		if !reflect.DeepEqual(got, rows) {
			t.Errorf("%s: Python read\n%q\nencoding/csv\n%q", name, got, rows)
		}
	}
}

func TestCSVNoExperiment(t *testing.T) {
	if err := CSV(&bytes.Buffer{}, &store.State{}); err == nil {
		t.Error("no error for a state without an experiment")
	}
}
