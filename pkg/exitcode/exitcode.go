// Package exitcode maps errors to the documented exit codes of both plugins.
//
//	0   success
//	1   the operation failed (cluster unreachable, experiment Failed, ...)
//	2   invalid input: bad flags, arguments or experiment files
//	130 interrupted (Ctrl-C); state was saved where the command keeps any
package exitcode

import (
	"errors"
	"fmt"
)

const (
	OK          = 0
	Failure     = 1
	Usage       = 2
	Interrupted = 130
)

// Error carries the exit code a command wants alongside its message.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// UsageError marks invalid input (exit 2).
func UsageError(format string, args ...any) error {
	return &Error{Code: Usage, Err: fmt.Errorf(format, args...)}
}

// WithCode wraps err so that the process exits with code.
func WithCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Err: err}
}

// Silent is an error whose message was already shown; only the exit code matters.
type Silent struct{ Code int }

func (s Silent) Error() string { return fmt.Sprintf("exit status %d", s.Code) }

// Of returns the exit code for err: 0 for nil, the carried code where there is one, else 1.
func Of(err error) int {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var s Silent
	if errors.As(err, &s) {
		return s.Code
	}
	return Failure
}
