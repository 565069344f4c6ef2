package htmlreport

import (
	"bufio"
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// chromium finds the browser, skipping the test when there is none unless
// KATIB_REQUIRE_CHROMIUM=1 says it must run (as on a machine set up for it, where a missing
// browser is a broken setup rather than a reason to pass quietly).
func chromium(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("KATIB_REQUIRE_CHROMIUM") == "1" {
			t.Fatalf("KATIB_REQUIRE_CHROMIUM=1 but there is no chromium: %v", err)
		}
		t.Skip("no chromium binary; set KATIB_REQUIRE_CHROMIUM=1 to make this an error")
	}
	return path
}

// runChromium runs headless Chromium on a page with its own profile directory, returning what
// it printed.
func runChromium(t *testing.T, bin string, args ...string) (stdout, stderr []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := []string{"--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--no-first-run", "--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, errb.String())
	}
	return out.Bytes(), errb.Bytes()
}

// consoleLines returns what the page wrote to its console. Chromium prints every console
// message, and every uncaught exception, as an INFO line tagged CONSOLE with the page as the
// source, whatever the message's level; the report's script writes nothing there, so any
// such line is a fault.
func consoleLines(stderr []byte, page string) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(stderr))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if strings.Contains(l, ":CONSOLE") && strings.Contains(l, page) || strings.Contains(l, "Uncaught") {
			out = append(out, l)
		}
	}
	return out
}

// sortCheck is appended to a copy of the report, after its own script: it sorts the first
// trial table by objective both ways and records on <body> whether the rows came out in
// order with the trials that have no objective last.
const sortCheck = `<script>
(function () {
  var table = document.querySelector("table.trials");
  var headers = table.tHead.rows[0].cells;
  var col = headers.length - 1;
  function values() {
    return Array.prototype.map.call(table.tBodies[0].rows, function (r) {
      var v = r.cells[col].getAttribute("data-sort");
      return v === "" ? null : parseFloat(v);
    });
  }
  function check(dir) {
    var v = values(), seenMissing = false;
    for (var i = 0; i < v.length; i++) {
      if (v[i] === null) { seenMissing = true; continue; }
      if (seenMissing) return dir + ": a value after a missing one at row " + i;
      if (i > 0 && v[i - 1] !== null && (dir === "up" ? v[i] < v[i - 1] : v[i] > v[i - 1])) return dir + ": out of order at row " + i;
    }
    return "";
  }
  headers[col].click();
  var up = check("up");
  var upSort = headers[col].getAttribute("aria-sort");
  headers[col].click();
  var down = check("down");
  var best = table.tBodies[0].rows[0].classList.contains("best");
  var result = up || down || (upSort !== "ascending" ? "aria-sort " + upSort : "") || (best ? "" : "best trial not first when sorted down");
  document.body.setAttribute("data-sort-check", result || "ok");
})();
</script>
`

func TestInBrowser(t *testing.T) {
	bin := chromium(t)
	dir := t.TempDir()
	a, b := fixture("mnist-tpe", 150, 20, 21), fixture("mnist-random", 90, 20, 22)
	in := input(a, b)
	var buf bytes.Buffer
	if err := Write(&buf, in); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	url := "file://" + page

	// The console check below is only worth something if this browser reports a page's
	// errors the way consoleLines expects, so first make sure it does.
	t.Run("console errors are seen", func(t *testing.T) {
		bad := filepath.Join(dir, "bad.html")
		if err := os.WriteFile(bad, []byte("<!DOCTYPE html><p>x</p><script>undefinedFunction();</script>"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, stderr := runChromium(t, bin, "--enable-logging=stderr", "--v=0", "--dump-dom", "file://"+bad)
		if len(consoleLines(stderr, "file://"+bad)) == 0 {
			t.Fatalf("an uncaught error went unnoticed; chromium printed:\n%s", stderr)
		}
	})

	t.Run("screenshot", func(t *testing.T) {
		shot := filepath.Join(dir, "report.png")
		runChromium(t, bin, "--screenshot="+shot, "--window-size=1280,2400", url)
		f, err := os.Open(shot)
		if err != nil {
			t.Fatalf("no screenshot: %v", err)
		}
		defer f.Close()
		img, err := png.Decode(f)
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 2400 {
			t.Errorf("screenshot is %v", b)
		}
		// A blank or unstyled page has a handful of colours; text, badges and charts have
		// hundreds.
		if n := distinctColours(img); n < 200 {
			t.Errorf("screenshot has only %d colours; the page looks blank", n)
		} else {
			t.Logf("screenshot has %d colours", n)
		}
		if keep := os.Getenv("KATIB_REPORT_SCREENSHOT"); keep != "" {
			data, _ := os.ReadFile(shot)
			if err := os.WriteFile(keep, data, 0o644); err != nil {
				t.Error(err)
			}
		}
	})

	t.Run("dom", func(t *testing.T) {
		stdout, stderr := runChromium(t, bin, "--enable-logging=stderr", "--v=0", "--dump-dom", url)
		if lines := consoleLines(stderr, url); len(lines) > 0 {
			t.Errorf("the page wrote to the console:\n%s", strings.Join(lines, "\n"))
		}
		doc, err := html.Parse(bytes.NewReader(stdout))
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, e := range in.Experiments {
			// history, parallel and one slice per parameter, each with a mark per counted trial
			want += (2 + len(e.Params)) * len(e.Counted())
		}
		got := 0
		for _, name := range []string{"history", "parallel", "slice"} {
			for _, svg := range find(doc, chart(name)) {
				got += len(find(svg, withAttr("data-trial")))
			}
		}
		if got != want {
			t.Errorf("the browser's DOM has %d trial marks, want %d", got, want)
		}
		if rows := len(find(doc, withAttr("data-trial-row"))); rows != len(a.Trials)+len(b.Trials) {
			t.Errorf("%d table rows in the browser's DOM, want %d", rows, len(a.Trials)+len(b.Trials))
		}
		ready := find(doc, func(n *html.Node) bool { v, _ := attr(n, "data-sortable"); return v == "ready" })
		if tables := find(doc, func(n *html.Node) bool { return n.Data == "table" && hasClass(n, "sortable") }); len(ready) != len(tables) || len(tables) != 3 {
			t.Errorf("the sorting script readied %d of %d tables", len(ready), len(tables))
		}
	})

	t.Run("sort", func(t *testing.T) {
		checked := filepath.Join(dir, "sort.html")
		doc := strings.Replace(buf.String(), "</body>", sortCheck+"</body>", 1)
		if err := os.WriteFile(checked, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		checkedURL := "file://" + checked
		stdout, stderr := runChromium(t, bin, "--enable-logging=stderr", "--v=0", "--dump-dom", checkedURL)
		if lines := consoleLines(stderr, checkedURL); len(lines) > 0 {
			t.Errorf("the page wrote to the console:\n%s", strings.Join(lines, "\n"))
		}
		dom, err := html.Parse(bytes.NewReader(stdout))
		if err != nil {
			t.Fatal(err)
		}
		body := find(dom, tag("body"))
		if len(body) != 1 {
			t.Fatal("no body in the dumped DOM")
		}
		if v, _ := attr(body[0], "data-sort-check"); v != "ok" {
			t.Errorf("sorting the trial table by objective: %q", v)
		}
	})
}

func distinctColours(img image.Image) int {
	seen := map[uint32]struct{}{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[(r>>8)<<16|(g>>8)<<8|bl>>8] = struct{}{}
		}
	}
	return len(seen)
}
