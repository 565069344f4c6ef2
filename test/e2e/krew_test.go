//go:build e2e

package e2e

// TestKrew checks the krew distribution end to end, fully offline: hack/release.sh builds
// archives and manifests, krew v0.5.0's own validator judges them, and the real krew (as the
// kubectl plugin kubectl-krew) installs, upgrades and uninstalls both plugins in sandboxed
// KREW_ROOTs and HOMEs, after which the real kubectl runs the krew-installed binaries.
// Archives that a download would fetch are served from a local HTTP server, and the custom
// index is a local git repository, so nothing leaves the machine. No cluster is needed.

import (
	"debug/macho"
	"debug/pe"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

const (
	krewVersion  = "v0.5.0" // pinned in hack/tools/go.mod
	releaseV1    = "v0.0.0-e2e"
	releaseV2    = "v0.0.1-e2e"
	krewPlugins  = "katib arch"
	hostPlatform = runtime.GOOS + "/" + runtime.GOARCH
)

// krewFixture is what every krew subtest shares: one release, the tools and a file server.
type krewFixture struct {
	root     string // the repository
	tools    string // krew, validate-krew-manifest
	shims    string // kubectl and kubectl-krew, the only two commands the sandboxes add to PATH
	basePath string // PATH entries that hold none of our plugins
	serve    string // served over HTTP: v1/ and v2/ hold a release each
	url      string
	v1, v2   string // release directories: archives, checksums.txt, katib.yaml, arch.yaml
}

func TestKrew(t *testing.T) {
	f := newKrewFixture(t)

	t.Run("ValidateManifests", f.testValidate)
	t.Run("InstallOfflineRunUninstall", f.testInstallOffline)
	t.Run("CustomIndexInstallUpgradeUninstall", f.testCustomIndex)
	t.Run("OtherPlatformsSelection", f.testOtherPlatforms)
}

func newKrewFixture(t *testing.T) *krewFixture {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	f := &krewFixture{root: root, serve: filepath.Join(tmp, "serve"), shims: filepath.Join(tmp, "shims")}
	f.v1, f.v2 = filepath.Join(f.serve, "v1"), filepath.Join(f.serve, "v2")

	// The tools are cached under .cache/ (the Go build cache makes a rebuild a few seconds).
	f.tools = filepath.Join(root, ".cache", "tools", "krew-"+krewVersion)
	run(t, filepath.Join(root, "hack", "tools"), nil, "go", "build", "-o", f.tools+string(filepath.Separator),
		"sigs.k8s.io/krew/cmd/krew", "sigs.k8s.io/krew/cmd/validate-krew-manifest")

	// kubectl: the local cluster's pinned one when it exists, else whatever PATH offers.
	kubectlBin := filepath.Join(root, ".cluster", "bin", "kubectl")
	if _, err := os.Stat(kubectlBin); err != nil {
		if kubectlBin, err = exec.LookPath("kubectl"); err != nil {
			t.Fatalf("no kubectl: %v", err)
		}
	}
	if err := os.MkdirAll(f.shims, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"kubectl": kubectlBin, "kubectl-krew": filepath.Join(f.tools, "krew")} {
		if err := os.Symlink(target, filepath.Join(f.shims, name)); err != nil {
			t.Fatal(err)
		}
	}
	// Drop every PATH directory holding a copy of the plugins (bin/, an earlier `make install`)
	// or of krew, so kubectl can only find the krew-installed ones.
	var keep []string
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if dir == "" || hasAny(dir, "kubectl-katib", "kubectl-arch", "kubectl-krew") {
			continue
		}
		keep = append(keep, dir)
	}
	f.basePath = strings.Join(keep, string(os.PathListSeparator))

	srv := httptest.NewServer(http.FileServer(http.Dir(f.serve)))
	t.Cleanup(srv.Close)
	f.url = srv.URL

	// The host's platform (the one that runs) and two foreign ones (installed, never run);
	// `make release` itself builds all six.
	platforms := []string{hostPlatform}
	for _, p := range []string{"darwin/arm64", "windows/amd64"} {
		if p != hostPlatform {
			platforms = append(platforms, p)
		}
	}
	f.release(t, releaseV1, f.v1, f.url+"/v1", platforms)
	// A newer release for the host only, to upgrade to.
	f.release(t, releaseV2, f.v2, f.url+"/v2", []string{hostPlatform})
	return f
}

func (f *krewFixture) release(t *testing.T, version, dir, baseURL string, platforms []string) {
	t.Helper()
	// SOURCE=worktree: the same tree `make build` built for the rest of the end-to-end tests.
	env := append(os.Environ(), "VERSION="+version, "DIST="+dir, "MANIFEST_DIR="+dir, "SOURCE=worktree",
		"BASE_URL="+baseURL, "PLATFORMS="+strings.Join(platforms, " "))
	t.Logf("%s", run(t, f.root, env, filepath.Join(f.root, "hack", "release.sh")))
}

func (f *krewFixture) archive(dir, plugin, version, platform string) string {
	return filepath.Join(dir, "kubectl-"+plugin+"_"+version+"_"+strings.ReplaceAll(platform, "/", "_")+".tar.gz")
}

// sandbox is a fresh KREW_ROOT and HOME; env is the whole environment of every command, so
// nothing from the caller's (KREW_*, KUBECONFIG, a real ~/.krew) leaks in.
type sandbox struct {
	t        *testing.T
	krewRoot string
	env      []string
}

func (f *krewFixture) newSandbox(t *testing.T, extraEnv ...string) *sandbox {
	dir := t.TempDir()
	s := &sandbox{t: t, krewRoot: filepath.Join(dir, "krew")}
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	s.env = append([]string{
		// KREW_ROOT/bin first; the repository's bin/ is not on it.
		"PATH=" + strings.Join([]string{filepath.Join(s.krewRoot, "bin"), f.shims, f.basePath}, string(os.PathListSeparator)),
		"HOME=" + home,
		"KREW_ROOT=" + s.krewRoot,
		"KREW_NO_UPGRADE_CHECK=1", // never ask GitHub for krew's latest release
		"KUBECONFIG=" + filepath.Join(home, ".kube", "config"),
		"GIT_CONFIG_NOSYSTEM=1",
		"NO_COLOR=1",
	}, extraEnv...)
	return s
}

// kubectl runs the real kubectl in the sandbox and fails the test on a non-zero exit.
func (s *sandbox) kubectl(args ...string) string {
	s.t.Helper()
	out, err := s.try(args...)
	if err != nil {
		s.t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// try runs kubectl in the sandbox and returns its combined output.
func (s *sandbox) try(args ...string) (string, error) {
	cmd := exec.Command("kubectl", args...)
	cmd.Env = s.env
	// exec.Command resolved "kubectl" with the test's PATH; use the sandbox's shim instead.
	cmd.Path = lookPathIn(s.env, "kubectl")
	cmd.Dir = s.t.TempDir()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (f *krewFixture) testValidate(t *testing.T) {
	validator := filepath.Join(f.tools, "validate-krew-manifest")
	s := f.newSandbox(t)
	validate := func(args ...string) (string, error) {
		cmd := exec.Command(validator, args...)
		cmd.Env = s.env // validate-krew-manifest runs `kubectl krew install` from PATH
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	var manifests []string
	for _, p := range strings.Fields(krewPlugins) {
		manifests = append(manifests, filepath.Join(f.v1, p+".yaml"), filepath.Join(f.root, "krew-manifests", p+".yaml"))
	}
	for _, m := range manifests {
		if out, err := validate("-manifest", m, "-skip-install"); err != nil {
			t.Errorf("validate-krew-manifest -skip-install %s: %v\n%s", m, err, out)
		}
	}
	// Without -skip-install the validator installs every platform of the generated manifests
	// (downloaded from the local server, checksums verified) and checks that LICENSE came along.
	for _, p := range strings.Fields(krewPlugins) {
		m := filepath.Join(f.v1, p+".yaml")
		if out, err := validate("-manifest", m); err != nil {
			t.Errorf("validate-krew-manifest %s: %v\n%s", m, err, out)
		}
	}

	// Broken copies must fail. The file name must stay <plugin>.yaml: krew checks it against
	// metadata.name.
	broken := func(name string, edit func(platforms []any) []any) string {
		var doc map[string]any
		b, err := os.ReadFile(filepath.Join(f.v1, "katib.yaml"))
		if err == nil {
			err = yaml.Unmarshal(b, &doc)
		}
		if err != nil {
			t.Fatal(err)
		}
		spec := doc["spec"].(map[string]any)
		spec["platforms"] = edit(spec["platforms"].([]any))
		if b, err = yaml.Marshal(doc); err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(t.TempDir(), name)
		path := filepath.Join(dir, "katib.yaml")
		if err := os.MkdirAll(dir, 0o755); err == nil {
			err = os.WriteFile(path, b, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
		return path
	}
	setSum := func(sum string) func([]any) []any {
		return func(ps []any) []any {
			for _, p := range ps {
				p.(map[string]any)["sha256"] = sum
			}
			return ps
		}
	}
	mustFail := func(what, want string, out string, err error) {
		t.Helper()
		if err == nil {
			t.Errorf("%s was accepted:\n%s", what, out)
		} else if !strings.Contains(out, want) {
			t.Errorf("%s failed, but not with %q:\n%s", what, want, out)
		} else {
			t.Logf("%s rejected as expected: %s", what, lineWith(out, want))
		}
	}

	malformed := broken("malformed-sum", setSum("not-a-sha256"))
	out, err := validate("-manifest", malformed, "-skip-install")
	mustFail("a manifest with a malformed sha256", "sha256", out, err)

	// A well-formed but wrong sum passes the structural check; installing catches it.
	wrong := broken("wrong-sum", setSum(strings.Repeat("0", 64)))
	out, err = validate("-manifest", wrong)
	mustFail("validate-krew-manifest on a manifest with a wrong sha256", "checksum does not match", out, err)
	out, err = s.try("krew", "install", "--manifest="+wrong, "--archive="+f.archive(f.v1, "katib", releaseV1, hostPlatform))
	mustFail("kubectl krew install of a manifest with a wrong sha256", "checksum does not match", out, err)

	// A second entry selecting the first one's whole OS overlaps with it.
	overlap := broken("overlapping", func(ps []any) []any {
		first := ps[0].(map[string]any)
		goos := first["selector"].(map[string]any)["matchLabels"].(map[string]any)["os"]
		dup := map[string]any{}
		for k, v := range first {
			dup[k] = v
		}
		dup["selector"] = map[string]any{"matchLabels": map[string]any{"os": goos}}
		return append(ps, dup)
	})
	out, err = validate("-manifest", overlap, "-skip-install")
	mustFail("a manifest with overlapping selectors", "overlapping platform selectors", out, err)
}

func (f *krewFixture) testInstallOffline(t *testing.T) {
	s := f.newSandbox(t)
	for _, p := range strings.Fields(krewPlugins) {
		out := s.kubectl("krew", "install", "--manifest="+filepath.Join(f.v1, p+".yaml"),
			"--archive="+f.archive(f.v1, p, releaseV1, hostPlatform))
		if !strings.Contains(out, "Installed plugin: "+p) {
			t.Fatalf("kubectl krew install %s:\n%s", p, out)
		}
	}
	if out := s.kubectl("plugin", "list"); !strings.Contains(out, filepath.Join(s.krewRoot, "bin", "kubectl-katib")) ||
		!strings.Contains(out, filepath.Join(s.krewRoot, "bin", "kubectl-arch")) {
		t.Fatalf("kubectl plugin list does not show krew's binaries:\n%s", out)
	}
	s.checkVersions(releaseV1)

	// The completion helper the caveats describe, written into krew's bin directory.
	s.kubectl("katib", "completion", "kubectl-helper", "--dir", filepath.Join(s.krewRoot, "bin"))
	if out := s.kubectl("__complete", "katib", "ver"); !strings.Contains(out, "version") {
		t.Errorf("kubectl __complete katib ver after the caveat's helper:\n%s", out)
	}

	// krew v0.5.0's uninstall (and list) refuse to run until a plugin index exists as a git
	// clone, which offline means a local one; the installed plugins stay "detached" from it.
	f.addLocalIndex(t, s, f.v1)
	s.uninstallBoth()
}

func (f *krewFixture) testCustomIndex(t *testing.T) {
	s := f.newSandbox(t)
	repo := f.addLocalIndex(t, s, f.v1)

	// Installing from an index downloads the archive from the manifest's uri (the local server).
	s.kubectl("krew", "install", "e2e/katib", "e2e/arch")
	s.checkVersions(releaseV1)
	if out := s.kubectl("krew", "list"); !strings.Contains(out, "e2e/katib") || !strings.Contains(out, "e2e/arch") {
		t.Errorf("kubectl krew list:\n%s", out)
	}

	// Publish the next release in the index; `kubectl krew upgrade` fetches the index (a local
	// git fetch) and installs it.
	publish(t, repo, f.v2, "release "+releaseV2)
	out := s.kubectl("krew", "upgrade")
	for _, p := range strings.Fields(krewPlugins) {
		// krew names index plugins INDEX/NAME.
		if !strings.Contains(out, "Upgraded plugin: e2e/"+p) {
			t.Errorf("kubectl krew upgrade did not upgrade %s:\n%s", p, out)
		}
	}
	s.checkVersions(releaseV2)

	// --manifest-url, as in the README, once the plugins are gone.
	s.uninstallBoth()
	s.kubectl("krew", "install", "--manifest-url="+f.url+"/v2/katib.yaml")
	if out := s.kubectl("katib", "version"); !strings.Contains(out, "Version: "+releaseV2) {
		t.Errorf("kubectl katib version after --manifest-url:\n%s", out)
	}
	s.kubectl("krew", "uninstall", "katib")
}

func (f *krewFixture) testOtherPlatforms(t *testing.T) {
	cases := []struct {
		platform string
		check    func(path string) error
		want     string
	}{
		{"darwin/arm64", func(path string) error {
			m, err := macho.Open(path)
			if err == nil {
				defer m.Close()
				if m.Cpu != macho.CpuArm64 {
					err = fmt.Errorf("Mach-O for %v, want arm64", m.Cpu)
				}
			}
			return err
		}, "Mach-O arm64"},
		{"windows/amd64", func(path string) error {
			p, err := pe.Open(path)
			if err == nil {
				defer p.Close()
				if p.Machine != pe.IMAGE_FILE_MACHINE_AMD64 {
					err = fmt.Errorf("PE for machine %#x, want amd64", p.Machine)
				}
			}
			return err
		}, "PE amd64"},
	}
	for _, c := range cases {
		if c.platform == hostPlatform {
			continue
		}
		goos, goarch, _ := strings.Cut(c.platform, "/")
		s := f.newSandbox(t, "KREW_OS="+goos, "KREW_ARCH="+goarch)
		ext := ""
		if goos == "windows" {
			ext = ".exe"
		}
		for _, p := range strings.Fields(krewPlugins) {
			s.kubectl("krew", "install", "--manifest="+filepath.Join(f.v1, p+".yaml"),
				"--archive="+f.archive(f.v1, p, releaseV1, c.platform))
			// krew links bin/kubectl-<p>[.exe] to the store; the binary must be the platform's own.
			link := filepath.Join(s.krewRoot, "bin", "kubectl-"+p+ext)
			target, err := os.Readlink(link)
			if err != nil {
				t.Fatalf("%s: %v", c.platform, err)
			}
			want := filepath.Join(s.krewRoot, "store", p, releaseV1, "kubectl-"+p+ext)
			if target != want {
				t.Errorf("%s: %s -> %s, want %s", c.platform, link, target, want)
			}
			if err := c.check(target); err != nil {
				t.Errorf("%s: %s: %v", c.platform, target, err)
			} else {
				t.Logf("KREW_OS=%s KREW_ARCH=%s: %s is %s", goos, goarch, target, c.want)
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(want), "LICENSE")); err != nil {
				t.Errorf("%s: LICENSE not installed: %v", c.platform, err)
			}
		}
	}

	// A platform the manifests do not offer is refused, not mismatched to another entry.
	s := f.newSandbox(t, "KREW_OS=linux", "KREW_ARCH=386")
	out, err := s.try("krew", "install", "--manifest="+filepath.Join(f.v1, "katib.yaml"),
		"--archive="+f.archive(f.v1, "katib", releaseV1, hostPlatform))
	if err == nil || !strings.Contains(out, "does not offer installation for this platform") {
		t.Errorf("install for linux/386 = %v:\n%s", err, out)
	}
}

// checkVersions runs both plugins through kubectl and expects the krew-installed, stamped binaries.
func (s *sandbox) checkVersions(version string) {
	s.t.Helper()
	out := s.kubectl("katib", "version")
	if !strings.Contains(out, "Version: "+version) {
		s.t.Errorf("kubectl katib version, want %s:\n%s", version, out)
	}
	s.t.Logf("kubectl katib version:\n%s", out)
	var info map[string]string
	out = s.kubectl("arch", "version", "-o", "json")
	if err := json.Unmarshal([]byte(out), &info); err != nil || info["version"] != version || info["platform"] != hostPlatform {
		s.t.Errorf("kubectl arch version -o json, want %s on %s: %v\n%s", version, hostPlatform, err, out)
	}
	s.t.Logf("kubectl arch version -o json: %s", strings.Join(strings.Fields(out), " "))
}

func (s *sandbox) uninstallBoth() {
	s.t.Helper()
	s.kubectl("krew", "uninstall", "katib", "arch")
	for _, p := range strings.Fields(krewPlugins) {
		for _, path := range []string{filepath.Join(s.krewRoot, "bin", "kubectl-"+p), filepath.Join(s.krewRoot, "store", p)} {
			if _, err := os.Lstat(path); !os.IsNotExist(err) {
				s.t.Errorf("%s is still there after uninstall (%v)", path, err)
			}
		}
		if out, err := s.try(p, "version"); err == nil {
			s.t.Errorf("kubectl %s version still works after uninstall:\n%s", p, out)
		}
	}
}

// addLocalIndex creates a git repository laid out as a krew index (plugins/<name>.yaml) with
// the release in dir and adds it to the sandbox as the index "e2e", as a custom index would be.
func (f *krewFixture) addLocalIndex(t *testing.T, s *sandbox, dir string) string {
	repo := filepath.Join(t.TempDir(), "index")
	if err := os.MkdirAll(filepath.Join(repo, "plugins"), 0o755); err != nil {
		t.Fatal(err)
	}
	run(t, repo, s.env, "git", "init", "-q", "-b", "main")
	publish(t, repo, dir, "release")
	s.kubectl("krew", "index", "add", "e2e", repo)
	return repo
}

func publish(t *testing.T, repo, dir, msg string) {
	for _, p := range strings.Fields(krewPlugins) {
		b, err := os.ReadFile(filepath.Join(dir, p+".yaml"))
		if err == nil {
			err = os.WriteFile(filepath.Join(repo, "plugins", p+".yaml"), b, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	run(t, repo, nil, "git", "add", "plugins")
	run(t, repo, nil, "git", "-c", "user.name=e2e", "-c", "user.email=e2e@localhost", "commit", "-q", "-m", msg)
}

// run runs a command (env nil: the test's own) and fails the test on a non-zero exit.
func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func hasAny(dir string, names ...string) bool {
	return slices.ContainsFunc(names, func(n string) bool {
		_, err := os.Stat(filepath.Join(dir, n))
		return err == nil
	})
}

func lookPathIn(env []string, name string) string {
	for _, e := range env {
		if path, ok := strings.CutPrefix(e, "PATH="); ok {
			for _, dir := range filepath.SplitList(path) {
				if hasAny(dir, name) {
					return filepath.Join(dir, name)
				}
			}
		}
	}
	return name
}

// lineWith returns the first line of s that contains sub.
func lineWith(s, sub string) string {
	for line := range strings.Lines(s) {
		if strings.Contains(line, sub) {
			return strings.TrimSpace(line)
		}
	}
	return ""
}
