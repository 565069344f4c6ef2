package runner

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"reflect"
	"strings"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/wait"
)

// probeInterval is how often a waiting run checks that the API server still answers when
// nothing else told it so; a probe is one small GET.
const probeInterval = 10 * time.Second

// retryBackoff spaces out the retries of a write the API server did not take.
var retryBackoff = wait.Backoff{Duration: 200 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: 1 << 30, Cap: 5 * time.Second}

// health remembers since when the API server has not answered.
type health struct {
	failingSince time.Time
	lastContact  time.Time
	lastErr      error
}

func (h *health) ok(now time.Time) {
	h.failingSince, h.lastErr, h.lastContact = time.Time{}, nil, now
}

// failed notes a request that got no answer. The outage began after the API server last
// answered, which the probes keep at most probeInterval old while the run waits: counting
// from there says truly how long it lasted, and a request that hangs until its own timeout
// does not add that time again.
func (h *health) failed(now time.Time, err error) {
	if h.failingSince.IsZero() {
		h.failingSince = now
		if since := now.Add(-probeInterval); h.lastContact.After(since) {
			h.failingSince = h.lastContact
		} else if !h.lastContact.IsZero() {
			h.failingSince = since
		}
	}
	h.lastErr = err
}

// retry runs op until it succeeds, fails for a reason that waiting does not change, or the
// API server has been unreachable for longer than the outage timeout (UnreachableError).
func (r *Runner) retry(ctx context.Context, op func(context.Context) error) error {
	delay := retryBackoff
	var waitingSince time.Time
	for {
		err := op(ctx)
		now := r.clock.Now()
		if err == nil {
			r.health.ok(now)
			return nil
		}
		if errors.Is(err, errWorkloadGoing) {
			// The API server answers; an object of the same name is on its way out.
			r.health.ok(now)
			if waitingSince.IsZero() {
				waitingSince = now
			}
			if now.Sub(waitingSince) >= r.cfg.OutageTimeout {
				return err
			}
			select {
			case <-ctx.Done():
				return err
			case <-r.clock.After(delay.Step()):
			}
			continue
		}
		if !retriable(err) {
			if !unreachable(err) {
				r.health.ok(now)
			}
			return err
		}
		r.health.failed(now, err)
		if now.Sub(r.health.failingSince) >= r.cfg.OutageTimeout {
			return r.unreachableError(now)
		}
		select {
		case <-ctx.Done():
			return err
		case <-r.clock.After(delay.Step()):
		}
	}
}

// probe checks, when nothing was heard from the API server for a while, that it answers;
// it is how a run that only waits for trials notices an outage that outlasts the timeout.
func (r *Runner) probe(ctx context.Context) error {
	now := r.clock.Now()
	if r.health.failingSince.IsZero() && now.Sub(r.health.lastContact) < probeInterval {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, probeInterval)
	defer cancel()
	var err error
	if rc := r.cfg.Client.Discovery().RESTClient(); rc != nil && !reflect.ValueOf(rc).IsNil() {
		err = rc.Get().AbsPath("/version").Do(ctx).Error()
	} else {
		_, err = r.cfg.Client.Discovery().ServerVersion()
	}
	now = r.clock.Now()
	if err == nil || !unreachable(err) {
		r.health.ok(now)
		return nil
	}
	r.health.failed(now, err)
	if now.Sub(r.health.failingSince) >= r.cfg.OutageTimeout {
		return r.unreachableError(now)
	}
	return nil
}

func (r *Runner) unreachableError(now time.Time) error {
	e := &UnreachableError{
		Name: r.st.Experiment.Name, Namespace: r.st.Experiment.Namespace,
		For: now.Sub(r.health.failingSince), Err: r.health.lastErr,
	}
	r.countFor(e)
	return e
}

// countFor says in e how many trials are recorded and how many are left to the cluster.
func (r *Runner) countFor(e *UnreachableError) {
	e.Recorded, e.Running = 0, 0
	for _, t := range r.st.Trials {
		switch {
		case t.State.Finished() && t.Stored():
			e.Recorded++
		case t.Reason != "CreateFailed":
			// A trial that ended during the outage is not recorded: its workload is left
			// for the client that resumes, which reads its log again.
			e.Running++
		}
	}
}

// errWorkloadGoing says a trial's workload cannot be created yet because one of the same
// name is being deleted (a trial that never ended, asked for again).
var errWorkloadGoing = errors.New("a workload of the same name is being deleted")

// retriable tells errors worth retrying from those that will not change: the API server
// unreachable or overloaded, or a namespace created moments ago that has no default
// ServiceAccount yet.
func retriable(err error) bool {
	return unreachable(err) || apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) || apierrors.IsTooManyRequests(err) ||
		apierrors.IsInternalError(err) || apierrors.IsServiceUnavailable(err) || missingServiceAccount(err)
}

// unreachable matches transport failures: the request never got an answer.
func unreachable(err error) bool {
	var urlErr *url.Error
	var netErr net.Error
	var opErr *net.OpError
	switch {
	case errors.As(err, &urlErr), errors.As(err, &netErr), errors.As(err, &opErr):
		return true
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	}
	return false
}

// missingServiceAccount matches the admission error of a Pod created before its namespace's
// default ServiceAccount exists.
func missingServiceAccount(err error) bool {
	var status apierrors.APIStatus
	if !apierrors.IsForbidden(err) || !errors.As(err, &status) {
		return false
	}
	return strings.Contains(status.Status().Message, "serviceaccount") || strings.Contains(status.Status().Message, "service account")
}
