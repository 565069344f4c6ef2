// Command trainer trains a digit classifier on MNIST and prints one metric line per epoch, so
// that it can serve as a hyperparameter-tuning trial: every hyperparameter is a flag, the metrics
// go to stdout in Katib's default "name=value" form (or the seed tutorial's form), and a given
// --seed always gives the same numbers.
//
// Exit codes: 0 success, 1 runtime failure (e.g. data not found), 2 invalid flags, 3 training
// diverged (weights or loss overflowed).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"
)

const (
	exitFailure  = 1
	exitUsage    = 2
	exitDiverged = 3

	maxTrain = 60000
	maxTest  = 10000
)

type config struct {
	lr        float64
	momentum  float64
	batchSize int
	epochs    int
	hidden    int
	optimizer string
	numTrain  int
	numTest   int
	seed      uint64
	dataDir   string
	format    string
	// trainSeconds adds a train_seconds=S line after each epoch's metrics: a second objective
	// (cost) for multi-objective experiments. Off by default, so the output stays what it was.
	trainSeconds bool
	// metricsFile also writes each epoch's metrics to a file, for Katib's File collector;
	// metricsStyle is how its text lines look.
	metricsFile  string
	metricsStyle string
	// tfEvents also writes each epoch's metrics as TensorFlow summaries into this directory,
	// for Katib's TensorFlowEvent collector.
	tfEvents string
}

// wholeNumber is an int flag that also accepts an integral number written as a float ("32.0"),
// since tuners and templates sometimes render integer parameters that way.
type wholeNumber int

func (w *wholeNumber) String() string { return strconv.Itoa(int(*w)) }

func (w *wholeNumber) Set(v string) error {
	if i, err := strconv.Atoi(v); err == nil {
		*w = wholeNumber(i)
		return nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<31 {
		return errors.New("not a whole number")
	}
	*w = wholeNumber(f)
	return nil
}

// usageError marks errors caused by the command line, which exit with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "trainer: %v\n", err)
		return exitUsage
	}
	err = train(cfg, stdout, stderr)
	var div divergedError
	switch {
	case errors.As(err, &div):
		fmt.Fprintf(stderr, "trainer: %v\n", err)
		return exitDiverged
	case err != nil:
		fmt.Fprintf(stderr, "trainer: %v\n", err)
		return exitFailure
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("trainer", flag.ContinueOnError)
	// Errors are printed once, by run.
	fs.SetOutput(io.Discard)
	fs.Float64Var(&c.lr, "lr", 0.01, "learning rate (> 0)")
	fs.Float64Var(&c.momentum, "momentum", 0.9, "momentum for sgd, beta1 for adam (0 <= m < 1)")
	c.batchSize, c.epochs, c.hidden, c.numTrain, c.numTest = 64, 3, 64, 10000, 10000
	fs.Var((*wholeNumber)(&c.batchSize), "batch-size", "examples per optimisation step (an `int`)")
	fs.Var((*wholeNumber)(&c.epochs), "epochs", "passes over the training subset (an `int`)")
	fs.Var((*wholeNumber)(&c.hidden), "hidden", "hidden ReLU units; 0 trains softmax regression (an `int`)")
	fs.StringVar(&c.optimizer, "optimizer", "sgd", "sgd or adam")
	fs.Var((*wholeNumber)(&c.numTrain), "num-train", fmt.Sprintf("training images to use (1-%d) (an `int`)", maxTrain))
	fs.Var((*wholeNumber)(&c.numTest), "num-test", fmt.Sprintf("test images to score (1-%d) (an `int`)", maxTest))
	fs.Uint64Var(&c.seed, "seed", 1, "seed for initial weights and shuffling")
	fs.StringVar(&c.dataDir, "data-dir", "", "directory holding the four MNIST .gz files (default: "+imageDataDir+", then the GoMNIST module cache)")
	fs.BoolVar(&c.trainSeconds, "train-seconds", false, "after each epoch's line, print train_seconds=S: the seconds the epoch's training took (evaluation excluded); unlike the other metrics it varies from run to run")
	fs.StringVar(&c.metricsFile, "metrics-file", "", "also write each epoch's metrics to this file (its directory is created): JSON lines with string values ({\"accuracy\": \"0.9012\", ...}) when it ends in .json or .jsonl, text lines otherwise (see --metrics-file-style)")
	fs.StringVar(&c.metricsStyle, "metrics-file-style", "katib", "text lines of --metrics-file: katib (epoch=1 accuracy=0.9012 loss=0.3511) or pytorch ({metricName: accuracy, metricValue: 0.9012};{metricName: loss, metricValue: 0.3511}, the lines Katib's PyTorch MNIST example logs)")
	fs.StringVar(&c.tfEvents, "tf-events", "", "also write each epoch's accuracy and loss as TensorFlow summaries (step = epoch) to an event file in this directory (created if missing)")
	fs.StringVar(&c.format, "format", "katib", "metric lines: katib (epoch=1 accuracy=0.9012 loss=0.3511) or tutorial (Accuracy at step 0: 0.1005)")
	// The flag package calls Usage on every parse error; the full text is only wanted for -h.
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, "Usage: trainer [flags]\n\nTrains an MNIST classifier and prints its test accuracy after every epoch.\nFlags take one or two dashes (--lr=0.01 or -lr 0.01).\n\nFlags:\n")
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return c, err
		}
		return c, usageError{err.Error() + " (see --help)"}
	}
	if fs.NArg() > 0 {
		return c, usageError{fmt.Sprintf("unexpected argument %q: every setting is a flag, e.g. --lr=0.01 (see --help)", fs.Arg(0))}
	}
	return c, c.validate()
}

func (c config) validate() error {
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	if !(c.lr > 0) || math.IsInf(c.lr, 0) {
		bad("--lr must be a positive number, got %v", c.lr)
	}
	if !(c.momentum >= 0 && c.momentum < 1) {
		bad("--momentum must be at least 0 and below 1, got %v", c.momentum)
	}
	if c.epochs < 1 {
		bad("--epochs must be at least 1, got %d", c.epochs)
	}
	if c.hidden < 0 || c.hidden > 4096 {
		bad("--hidden must be between 0 and 4096, got %d", c.hidden)
	}
	if c.optimizer != "sgd" && c.optimizer != "adam" {
		bad("--optimizer must be sgd or adam, got %q", c.optimizer)
	}
	if c.numTrain < 1 || c.numTrain > maxTrain {
		bad("--num-train must be between 1 and %d, got %d", maxTrain, c.numTrain)
	}
	if c.numTest < 1 || c.numTest > maxTest {
		bad("--num-test must be between 1 and %d, got %d", maxTest, c.numTest)
	}
	if c.batchSize < 1 {
		bad("--batch-size must be at least 1, got %d", c.batchSize)
	} else if c.numTrain >= 1 && c.batchSize > c.numTrain {
		bad("--batch-size %d is larger than --num-train %d", c.batchSize, c.numTrain)
	}
	if c.format != "katib" && c.format != "tutorial" {
		bad("--format must be katib or tutorial, got %q", c.format)
	}
	if c.metricsStyle != "katib" && c.metricsStyle != "pytorch" {
		bad("--metrics-file-style must be katib or pytorch, got %q", c.metricsStyle)
	}
	if len(problems) > 0 {
		return usageError{strings.Join(problems, "; ")}
	}
	return nil
}

// divergedError reports weights or a loss that overflowed, which no further epoch can repair;
// exiting non-zero lets a tuner record the trial as failed instead of reading garbage metrics.
type divergedError struct{ epoch int }

func (e divergedError) Error() string {
	return fmt.Sprintf("training diverged in epoch %d (the weights or the loss are no longer finite numbers); try a smaller --lr", e.epoch)
}

func train(c config, stdout, stderr io.Writer) error {
	dir, err := findDataDir(c.dataDir)
	if err != nil {
		return err
	}
	start := time.Now()
	trainSet, testSet, err := loadMNIST(dir, c.numTrain, c.numTest)
	if err != nil {
		return err
	}
	sizes := []int{28 * 28, 10}
	if c.hidden > 0 {
		sizes = []int{28 * 28, c.hidden, 10}
	}
	fmt.Fprintf(stderr, "trainer: model %s, %s, batch size %d, %d training and %d test images (loaded in %s)\n",
		describeSizes(sizes), describeOptimizer(c), c.batchSize, len(trainSet), len(testSet), time.Since(start).Round(time.Millisecond))

	rng := rand.New(rand.NewPCG(c.seed, 0x6d6e697374))
	net := newNetwork(sizes, rng)
	var opt optimizer
	if c.optimizer == "adam" {
		opt = newAdam(net.params(), c.lr, c.momentum)
	} else {
		opt = newSGD(net.params(), c.lr, c.momentum)
	}
	ws := newWorkspace(net)
	report := newReporter(c.format, stdout)
	sinks, err := openSinks(c)
	if err != nil {
		return err
	}
	defer sinks.close()

	if c.format == "tutorial" {
		// The tutorial's program scores the untrained model first; so do we, for a familiar log.
		acc, loss := net.evaluate(testSet, ws)
		report(0, 0, acc, loss)
	}
	order := make([]int, len(trainSet))
	for i := range order {
		order[i] = i
	}
	batch := make([]sample, 0, c.batchSize)
	steps := 0
	for epoch := 1; epoch <= c.epochs; epoch++ {
		epochStart := time.Now()
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		var trainLoss float64
		for lo := 0; lo < len(order); lo += c.batchSize {
			batch = batch[:0]
			for _, i := range order[lo:min(lo+c.batchSize, len(order))] {
				batch = append(batch, trainSet[i])
			}
			trainLoss += net.trainBatch(batch, ws, opt)
			steps++
		}
		trained := time.Since(epochStart)
		acc, loss := net.evaluate(testSet, ws)
		if math.IsNaN(trainLoss) || math.IsInf(trainLoss, 0) || math.IsNaN(loss) || math.IsInf(loss, 0) || !weightsFinite(net) {
			return divergedError{epoch}
		}
		report(epoch, steps, acc, loss)
		if err := sinks.write(epoch, acc, loss); err != nil {
			return err
		}
		if c.trainSeconds {
			fmt.Fprintf(stdout, "train_seconds=%.4f\n", trained.Seconds())
		}
	}
	if err := sinks.close(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "trainer: done in %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}

// newReporter returns the function that prints one evaluation in the chosen format. Accuracy and
// loss are measured on the test images; "step" counts optimisation steps so far.
func newReporter(format string, w io.Writer) func(epoch, step int, acc, loss float64) {
	if format == "tutorial" {
		return func(_, step int, acc, _ float64) {
			fmt.Fprintf(w, "Accuracy at step %d: %.4f\n", step, acc)
		}
	}
	return func(epoch, _ int, acc, loss float64) {
		fmt.Fprintf(w, "epoch=%d accuracy=%.4f loss=%.4f\n", epoch, acc, loss)
	}
}

func weightsFinite(n *network) bool {
	for _, p := range n.params() {
		for _, v := range p {
			if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
				return false
			}
		}
	}
	return true
}

func describeSizes(sizes []int) string {
	parts := make([]string, len(sizes))
	for i, s := range sizes {
		parts[i] = strconv.Itoa(s)
	}
	kind := "softmax regression"
	if len(sizes) > 2 {
		kind = "MLP"
	}
	return strings.Join(parts, "-") + " " + kind
}

func describeOptimizer(c config) string {
	if c.optimizer == "adam" {
		return fmt.Sprintf("adam with learning rate %g and beta1 %g", c.lr, c.momentum)
	}
	return fmt.Sprintf("sgd with learning rate %g and momentum %g", c.lr, c.momentum)
}
