package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kubectl-katib/plugins/pkg/metrics/tfevents"
)

// sinks are the places besides stdout that receive each epoch's metrics: Katib's File and
// TensorFlowEvent collectors read them there instead of from the log.
type sinks struct {
	file     *os.File
	json     bool
	pytorch  bool
	events   *os.File
	writer   *tfevents.Writer
	closed   bool
	closeErr error
}

func openSinks(c config) (*sinks, error) {
	s := &sinks{pytorch: c.metricsStyle == "pytorch"}
	if c.metricsFile != "" {
		if err := os.MkdirAll(filepath.Dir(c.metricsFile), 0o755); err != nil {
			return nil, fmt.Errorf("cannot create the directory of --metrics-file: %w", err)
		}
		// Appending keeps what an earlier attempt of the same trial wrote, as a log would.
		f, err := os.OpenFile(c.metricsFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("cannot open --metrics-file: %w", err)
		}
		s.file = f
		ext := strings.ToLower(filepath.Ext(c.metricsFile))
		s.json = ext == ".json" || ext == ".jsonl"
	}
	if c.tfEvents != "" {
		if err := os.MkdirAll(c.tfEvents, 0o755); err != nil {
			s.close()
			return nil, fmt.Errorf("cannot create the --tf-events directory: %w", err)
		}
		host, _ := os.Hostname()
		if host == "" {
			host = "localhost"
		}
		now := time.Now()
		f, err := os.OpenFile(filepath.Join(c.tfEvents, tfevents.FileName(now, host, os.Getpid())), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("cannot create an event file in --tf-events: %w", err)
		}
		s.events = f
		if s.writer, err = tfevents.NewWriter(f, now); err != nil {
			s.close()
			return nil, fmt.Errorf("cannot write the event file: %w", err)
		}
	}
	return s, nil
}

// write records one epoch. Values are written with the digits printed on stdout, so every
// collector records the same numbers.
func (s *sinks) write(epoch int, acc, loss float64) error {
	a, l := fmt.Sprintf("%.4f", acc), fmt.Sprintf("%.4f", loss)
	if s.file != nil {
		var line string
		switch {
		case s.json:
			// Katib's JSON format (what hypertune writes) expects the values as strings.
			line = fmt.Sprintf("{\"epoch\": \"%d\", \"accuracy\": \"%s\", \"loss\": \"%s\"}\n", epoch, a, l)
		case s.pytorch:
			line = fmt.Sprintf("{metricName: accuracy, metricValue: %s};{metricName: loss, metricValue: %s}\n", a, l)
		default:
			line = fmt.Sprintf("epoch=%d accuracy=%s loss=%s\n", epoch, a, l)
		}
		// One write per line, so that a reader following the file never sees half a line
		// once the call has returned.
		if _, err := s.file.WriteString(line); err != nil {
			return fmt.Errorf("cannot write --metrics-file: %w", err)
		}
	}
	if s.writer != nil {
		// The rounded values, as printed, so that the event file holds the printed numbers.
		av, _ := strconv.ParseFloat(a, 64)
		lv, _ := strconv.ParseFloat(l, 64)
		if err := s.writer.WriteScalars(time.Now(), int64(epoch), tfevents.Scalar{Tag: "accuracy", Value: av}, tfevents.Scalar{Tag: "loss", Value: lv}); err != nil {
			return fmt.Errorf("cannot write the event file: %w", err)
		}
	}
	return nil
}

// close closes the files once; the data is already written (files are not buffered), so a
// close error only matters for the exit status.
func (s *sinks) close() error {
	if s.closed {
		return s.closeErr
	}
	s.closed = true
	var errs []error
	for _, f := range []*os.File{s.file, s.events} {
		if f != nil {
			errs = append(errs, f.Close())
		}
	}
	s.closeErr = errors.Join(errs...)
	return s.closeErr
}
