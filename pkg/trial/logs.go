// Package trial turns an experiment's trial template into a workload for one set of
// hyperparameters (of any kind the cluster serves), watches the workload and its Pods, and
// delivers the primary Pod's log line by line; package metrics reads the metrics from them.
//
// # Following a trial's log
//
// Metrics come from the primary container's log, read through the API server (for File and
// TensorFlowEvent collectors, from the log of the collector sidecar, MonitorConfig.LogContainer,
// whose termination then plays the part the primary container's plays below). A follow
// stream can end at any time without the container having ended: kube-apiserver restarts,
// proxies drop idle connections, and a graceful API server shutdown ends streams with a
// clean EOF. A monitor that took the end of a stream for the end of the log would record
// the metrics of a log prefix as final, and a tuner that records a wrong objective picks
// the wrong best trial. So the monitor follows each pod's log by these rules:
//
//   - Every stream is opened with Timestamps: the kubelet prefixes each line with its
//     RFC3339Nano timestamp and a space. The prefix is removed before the line is
//     delivered (Event.Line is the text the container printed, without the line end) and
//     kept as Event.At. A line without a timestamp prefix shares the timestamp of the line
//     before it.
//   - Per pod stream the monitor keeps the timestamp of the last line delivered (lastTS)
//     and how many delivered lines carry exactly that timestamp (n).
//   - When a stream ends, for any reason, io.EOF included, it is opened again with
//     SinceTime = lastTS truncated to the second (SinceTime has second precision), which
//     replays that whole second. Of the replay, lines before lastTS are skipped, and of
//     the lines at lastTS the first n; the rest is new. No line is lost or delivered
//     twice. A stream that had delivered nothing is opened again from the start. A line
//     cut short by the end of a stream is not delivered: the next stream replays it whole.
//   - A stream opened while the container ran that ends cleanly is opened again when the
//     pod watch sees the container end (or after the longest back-off, for a stream a
//     server shutdown ended), not at once: reading then would only read the same end.
//   - Opening again backs off exponentially (200ms, doubling, at most 5s, with jitter)
//     while the failures are network errors (connection refused or reset, EOF, timeouts)
//     or transient answers (5xx, 429), until the monitor's context ends: how long an
//     outage may last is the caller's decision. A stream that delivered lines starts the
//     back-off again from the beginning. The pod watch seeing the container terminate or
//     the pod go cuts a wait short.
//   - A read proves the log complete only if it was opened after the pod watch had seen
//     the primary container terminated (State.Terminated of its current status), ended
//     with io.EOF, and brought nothing new: it replayed every line delivered before, and
//     nothing followed them. For a terminated container the kubelet sends the whole
//     remaining log and ends the stream, so such a read is normally the reconciliation;
//     but a graceful API server shutdown can cut it short with the same clean EOF, so
//     the read that brought the last lines is confirmed by one more, which with
//     SinceTime returns only the last second's lines. A stream opened while the
//     container ran and ending when it exits looks exactly like a dropped connection and
//     proves nothing. Every trial thus costs one extra small log request. A read after
//     termination that brought more is followed by the next at once, without back-off.
//   - Text after the last line end is delivered, marked Partial, only once two reads after
//     termination ended with the same text: a read cut short in the middle of the last
//     line would end the same way. Even then it may be a line the container runtime cut
//     (containerd drops the end of a burst of output written just before the container
//     exits, sometimes in the middle of a line), so a Partial line is never read as
//     metrics: "accuracy=0.29" of "accuracy=0.290171" would record a wrong value.
//   - A pod that is gone (the pod watch saw it deleted, or the log request answers
//     NotFound) before its log was proven complete, or whose log cannot be read for a
//     reason that will not pass (BadRequest once the container was removed, Forbidden),
//     leaves the trial's log irrecoverably incomplete: its Completed event carries
//     LogIncomplete and a LogProblem naming the pod, how many lines were read, the time
//     of the last one and why.
//   - Completed is emitted only after every log stream of the trial's pods has ended by
//     these rules.
//   - A collector sidecar that ends while the training container runs is restarted by the
//     kubelet, so its termination counts only once every regular container has ended. The
//     restarted collector prints its files again from the start; each of its lines carries
//     the offset it was read from, and lines at offsets already delivered are skipped. So a
//     collector crash neither ends the log early nor repeats a metric.
//
// The rules assume what the kubelet does: it serves a container's log in the order it was
// written, with non-decreasing timestamps, and a reopened stream starts with the lines
// of the requested second. Lines a rotation of the container's log file moved out of the
// current file while no stream was open are beyond its reach.
package trial

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

// LogSource opens a pod container's log stream.
type LogSource interface {
	Open(ctx context.Context, namespace, pod string, opts *corev1.PodLogOptions) (io.ReadCloser, error)
}

// clientLogs reads logs through the API server.
type clientLogs struct{ client kubernetes.Interface }

func (c clientLogs) Open(ctx context.Context, namespace, pod string, opts *corev1.PodLogOptions) (io.ReadCloser, error) {
	return c.client.CoreV1().Pods(namespace).GetLogs(pod, opts).Stream(ctx)
}

// defaultLogBackoff paces the reopening of a broken log stream.
var defaultLogBackoff = wait.Backoff{Duration: 200 * time.Millisecond, Factor: 2, Jitter: 0.1, Cap: 5 * time.Second}

// podStream is the log of one pod's primary container being followed.
type podStream struct {
	trial string
	pod   string
	uid   types.UID
	// wake cuts a back-off short when the pod watch sees something that changes what the
	// next open proves.
	wake chan struct{}

	// The rest belongs to the stream's goroutine.
	lastTS time.Time
	n      int
	lines  int
	// offsets is, per file the collector sidecar reads, the offset of the last line
	// delivered (see keyed).
	offsets map[string]int64
}

func newPodStream(trial string, pod *corev1.Pod) *podStream {
	return &podStream{trial: trial, pod: pod.Name, uid: pod.UID, wake: make(chan struct{}, 1)}
}

func (s *podStream) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// progress says how far the log was read, for the reports of logs that were not read to
// the end.
func (s *podStream) progress() string {
	if s.lines == 0 {
		return "no line read"
	}
	read := "1 line read"
	if s.lines > 1 {
		read = fmt.Sprintf("%d lines read", s.lines)
	}
	switch {
	case s.lastTS.IsZero():
		return read
	case s.lines == 1:
		return read + ", at " + s.lastTS.UTC().Format(time.RFC3339Nano)
	default:
		return read + ", the last at " + s.lastTS.UTC().Format(time.RFC3339Nano)
	}
}

func (s *podStream) deleted() string {
	return fmt.Sprintf("pod %s was deleted before its log could be read to the end; %s", s.pod, s.progress())
}

// follow delivers the pod's log until it is proven complete (see the package comment), the
// pod is gone, the log cannot be read, or ctx ends; then it lets the trial complete.
func (m *Monitor) follow(ctx context.Context, s *podStream) {
	problem := ""
	defer func() {
		m.mu.Lock()
		w := m.trial(s.trial)
		w.active--
		w.finished++
		if problem != "" {
			w.logProblems = append(w.logProblems, problem)
		}
		out := m.completeIfReady(s.trial, w)
		m.unlockAndEmit(out)
	}()
	backoff := m.backoff()
	// tail is the unterminated text the last read opened after termination ended with.
	var tail *logLine
	for {
		present, terminated := m.podState(s)
		if !present {
			problem = s.deleted()
			return
		}
		opts := &corev1.PodLogOptions{Container: m.logContainer(), Follow: true, Timestamps: true}
		if s.lines > 0 && !s.lastTS.IsZero() {
			since := metav1.NewTime(s.lastTS.Truncate(time.Second))
			opts.SinceTime = &since
		}
		var res readResult
		rc, err := m.logs.Open(ctx, m.cfg.Namespace, s.pod, opts)
		if err == nil {
			res, err = m.readStream(ctx, s, rc)
			rc.Close()
		}
		if terminated && errors.Is(err, io.EOF) {
			same := sameTail(tail, res.tail)
			switch {
			case res.delivered == 0 && res.caughtUp && same:
				if tail != nil {
					// An error here means the trial is no longer watched.
					partial := *tail
					partial.partial = true
					_ = m.deliverLine(ctx, s, partial)
				}
				return
			case res.delivered > 0 || !same:
				// The container has ended and this read brought more: read again at once
				// to confirm the end; each such read makes progress, so this ends.
				tail = res.tail
				backoff = m.backoff()
				continue
			}
			tail = res.tail
		} else {
			tail = nil
		}
		if ctx.Err() != nil || errors.Is(err, errForgotten) {
			return
		}
		switch {
		case apierrors.IsNotFound(err):
			problem = s.deleted()
			return
		case !retriable(err):
			problem = fmt.Sprintf("the log of pod %s cannot be read to the end: %v; %s", s.pod, err, s.progress())
			return
		}
		if res.delivered > 0 {
			backoff = m.backoff()
		}
		delay := nextDelay(&backoff)
		if !terminated && errors.Is(err, io.EOF) {
			// Most often the container has just ended and the pod watch has not said so
			// yet: reading again now would only read the same end once more. The watch's
			// news of the end (or of the pod's deletion) wakes the wait; a stream that a
			// server shutdown ended is reopened after the longest back-off.
			delay = backoff.Cap
		}
		if !m.pause(ctx, delay, s.wake) {
			return
		}
	}
}

func sameTail(a, b *logLine) bool {
	return a == b || (a != nil && b != nil && a.at.Equal(b.at) && a.text == b.text)
}

// logLine is one line of a container's log.
type logLine struct {
	at      time.Time
	text    string
	partial bool
}

type readResult struct {
	// delivered counts the lines the read delivered.
	delivered int
	// caughtUp says the read replayed every line delivered before it.
	caughtUp bool
	// tail is the text after the last line end when the stream ended with io.EOF: the
	// container's unterminated last output, or a line cut short.
	tail *logLine
}

// readStream delivers the complete lines of one opened stream that were not delivered
// before, and returns with the error that ended the stream (io.EOF for a clean end).
func (m *Monitor) readStream(ctx context.Context, s *podStream, rc io.Reader) (readResult, error) {
	r := bufio.NewReaderSize(rc, 64*1024)
	var res readResult
	replay := s.lines > 0
	skipTS, skipN := s.lastTS, s.n
	prev := s.lastTS
	for {
		raw, err := r.ReadString('\n')
		if err != nil {
			res.caughtUp = !replay || skipN == 0
			if raw != "" && errors.Is(err, io.EOF) {
				ts, text, ok := splitTimestamp(strings.TrimSuffix(raw, "\r"))
				if !ok {
					ts = prev
				}
				res.tail = &logLine{at: ts, text: text}
			}
			return res, err
		}
		ts, text, ok := splitTimestamp(strings.TrimSuffix(strings.TrimSuffix(raw, "\n"), "\r"))
		if !ok {
			ts = prev
		}
		prev = ts
		if replay {
			if ts.Before(skipTS) {
				continue
			}
			if ts.Equal(skipTS) && skipN > 0 {
				skipN--
				continue
			}
			replay = false
		}
		if m.cfg.LogContainer != "" {
			var repeat bool
			if text, repeat = s.keyed(text); repeat {
				// A restarted collector printing again what it printed before: the
				// line is consumed, as the kubelet's log holds it, but not delivered.
				s.advance(ts)
				res.delivered++
				continue
			}
		}
		if err := m.deliverLine(ctx, s, logLine{at: ts, text: text}); err != nil {
			return res, err
		}
		res.delivered++
	}
}

// deliverLine emits a line and counts it as delivered.
func (m *Monitor) deliverLine(ctx context.Context, s *podStream, l logLine) error {
	if err := m.deliver(ctx, Event{Trial: s.trial, Type: Line, Line: l.text, At: l.at, Partial: l.partial}); err != nil {
		return err
	}
	s.advance(l.at)
	return nil
}

// advance counts a line of the log as read.
func (s *podStream) advance(at time.Time) {
	switch {
	case at.Equal(s.lastTS):
		s.n++
	case at.After(s.lastTS):
		s.lastTS, s.n = at, 1
	}
	s.lines++
}

// keyed removes the collector's key from a line of its log and says whether the line was
// delivered before. The collector prints "@SOURCE:OFFSET " before each line: SOURCE names
// the file (its inode, and for a metrics file how many times it was truncated), OFFSET is
// where the line (or event record) starts in it. When the kubelet restarts the collector,
// the new run reads its files from the start and prints everything again; what the monitor
// has already delivered is then recognised by its offset, so every line of the files is
// delivered once. A line without a key (an older collector image) is delivered as it is.
func (s *podStream) keyed(line string) (text string, repeat bool) {
	src, off, text, ok := collectorKey(line)
	if !ok {
		return line, false
	}
	if last, seen := s.offsets[src]; seen && off <= last {
		return text, true
	}
	if s.offsets == nil {
		s.offsets = map[string]int64{}
	}
	s.offsets[src] = off
	return text, false
}

// collectorKey splits "@SOURCE:OFFSET text".
func collectorKey(line string) (src string, off int64, text string, ok bool) {
	if !strings.HasPrefix(line, "@") {
		return "", 0, line, false
	}
	sp := strings.IndexByte(line, ' ')
	if sp < 0 {
		return "", 0, line, false
	}
	key := line[1:sp]
	colon := strings.LastIndexByte(key, ':')
	if colon <= 0 {
		return "", 0, line, false
	}
	off, err := strconv.ParseInt(key[colon+1:], 10, 64)
	if err != nil || off < 0 {
		return "", 0, line, false
	}
	return key[:colon], off, line[sp+1:], true
}

var errForgotten = errors.New("the trial is no longer watched")

// deliver emits a line unless the caller has finished with the trial.
func (m *Monitor) deliver(ctx context.Context, ev Event) error {
	m.mu.Lock()
	done := m.trial(ev.Trial).done
	m.mu.Unlock()
	if done {
		return errForgotten
	}
	select {
	case m.events <- ev:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// splitTimestamp separates the kubelet's timestamp prefix from the line the container
// printed.
func splitTimestamp(line string) (time.Time, string, bool) {
	i := strings.IndexByte(line, ' ')
	if i < len("2006-01-02T15:04:05Z") {
		return time.Time{}, line, false
	}
	ts, err := time.Parse(time.RFC3339Nano, line[:i])
	if err != nil {
		return time.Time{}, line, false
	}
	return ts, line[i+1:], true
}

// podState says whether the pod watch still has the stream's pod and whether its primary
// container has terminated.
func (m *Monitor) podState(s *podStream) (present, terminated bool) {
	obj, ok, err := m.pods.GetByKey(m.cfg.Namespace + "/" + s.pod)
	if err != nil || !ok {
		return false, false
	}
	pod, isPod := obj.(*corev1.Pod)
	if !isPod || pod.UID != s.uid {
		return false, false
	}
	return true, primaryTerminated(pod, m.logContainer())
}

// primaryTerminated says whether the container has terminated for good; it looks at init
// containers too, where a collector sidecar's status is. A native sidecar that ended while
// a regular container still runs is not done: the kubelet restarts it (a crash, an
// out-of-memory kill), and the log of the next run is the one to read. Taking that pause for
// the end would prove a log complete that is still being written, and record the metrics of
// its first part.
//
// The same holds for a training container that failed under restartPolicy OnFailure: the
// kubelet runs it again in the same pod, so its end counts only once the pod has finished.
func primaryTerminated(pod *corev1.Pod, container string) bool {
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.Name == container || container == "" {
			return cs.State.Terminated != nil && !willRestart(pod, cs.State.Terminated.ExitCode)
		}
	}
	for _, cs := range pod.Status.InitContainerStatuses {
		if cs.Name == container {
			return cs.State.Terminated != nil && (!restartable(pod, container) || regularContainersEnded(pod))
		}
	}
	return false
}

// willRestart says whether the kubelet will run a regular container that failed with this
// exit code again: under restartPolicy OnFailure, until the pod has finished (a Job that
// gives up ends it). Under Always the container restarts after any exit and its pod never
// finishes by itself, so waiting for that would wait for ever; there, as under Never, the
// first end counts.
func willRestart(pod *corev1.Pod, exitCode int32) bool {
	if podFinished(pod) {
		return false
	}
	return pod.Spec.RestartPolicy == corev1.RestartPolicyOnFailure && exitCode != 0
}

// podFinished says whether the pod has reached a final phase: none of its containers runs
// again.
func podFinished(pod *corev1.Pod) bool {
	return pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
}

// restartable says whether the init container is a native sidecar (restartPolicy Always).
func restartable(pod *corev1.Pod, container string) bool {
	for _, c := range pod.Spec.InitContainers {
		if c.Name == container {
			return c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
		}
	}
	return false
}

// regularContainersEnded says whether every regular container has terminated, after which
// the kubelet restarts no sidecar: it stops them. A finished pod has ended them all too.
func regularContainersEnded(pod *corev1.Pod) bool {
	if podFinished(pod) {
		return true
	}
	if len(pod.Status.ContainerStatuses) == 0 {
		return false
	}
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.State.Terminated == nil {
			return false
		}
	}
	return true
}

func (m *Monitor) backoff() wait.Backoff {
	b := m.cfg.Backoff
	if b == (wait.Backoff{}) {
		b = defaultLogBackoff
	}
	if b.Steps == 0 {
		// Steps counts the growth of the interval; the attempts themselves never run out.
		b.Steps = math.MaxInt32
	}
	return b
}

// nextDelay keeps the jittered interval within the cap too.
func nextDelay(b *wait.Backoff) time.Duration {
	d := b.Step()
	if b.Cap > 0 && d > b.Cap {
		d = b.Cap
	}
	return d
}

// pause waits d, or less if woken; it says false once ctx has ended.
func (m *Monitor) pause(ctx context.Context, d time.Duration, wake <-chan struct{}) bool {
	t := m.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C():
	case <-wake:
	}
	return true
}

// retriable tells the failures of the way to the log (network errors, transient answers)
// from answers that will not change.
func retriable(err error) bool {
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		code := status.Status().Code
		return code >= 500 || code == 429 ||
			apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err) || apierrors.IsTooManyRequests(err)
	}
	var netErr net.Error
	return errors.As(err, &netErr) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		utilnet.IsProbableEOF(err) || utilnet.IsHTTP2ConnectionLost(err)
}
