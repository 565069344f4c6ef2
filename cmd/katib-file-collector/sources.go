package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/kubectl-katib/plugins/pkg/metrics/tfevents"
)

// fileSource follows one text file.
type fileSource struct {
	path    string
	info    os.FileInfo
	offset  int64
	partial []byte
	// start is the offset of the line being read (the partial line's first byte).
	start int64
	// truncations counts how often the file was truncated in place; it is part of the
	// key, since the offsets start again from 0. It lives only as long as this run: a
	// collector restarted after a truncation keys the new content as the old, and the
	// engine would skip its lines up to the old content's last offset. Trainers append to
	// their metrics file, so this needs a truncation and a collector crash in one trial.
	truncations int
}

// key is the prefix of every printed line: "@SOURCE:OFFSET ". The engine reading this
// container's log skips lines at offsets it has delivered before, which a restarted
// collector prints again (it reads its files from the start).
func key(out *bufio.Writer, info os.FileInfo, gen int, offset int64) {
	out.WriteString("@" + fileID(info))
	if gen > 0 {
		out.WriteString("." + strconv.Itoa(gen))
	}
	out.WriteString(":" + strconv.FormatInt(offset, 10) + " ")
}

// fileID names a file by its inode, which a replaced file does not share.
func fileID(info os.FileInfo) string {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return strconv.FormatUint(st.Ino, 10)
	}
	return "0"
}

func (s *fileSource) read(out *bufio.Writer, final bool) error {
	f, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		// Not written yet (or the trainer wrote nothing): nothing to print.
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	// A file replaced or truncated is read again from its start, as a new file.
	if s.info != nil && (!os.SameFile(s.info, info) || info.Size() < s.offset) {
		if os.SameFile(s.info, info) {
			s.truncations++
		} else {
			s.truncations = 0
		}
		s.offset, s.start, s.partial = 0, 0, nil
	}
	s.info = info
	if _, err := f.Seek(s.offset, io.SeekStart); err != nil {
		return err
	}
	buf := make([]byte, 64*1024)
	for {
		n, err := f.Read(buf)
		if n > 0 {
			s.offset += int64(n)
			s.emit(out, buf[:n])
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if final && len(s.partial) > 0 {
		// The trainer has exited: an unterminated last line is all it will ever write.
		key(out, s.info, s.truncations, s.start)
		out.Write(s.partial)
		out.WriteByte('\n')
		s.start += int64(len(s.partial))
		s.partial = nil
	}
	return nil
}

// emit prints the complete lines of data, keeping a trailing partial line for later: a
// line is printed only once the trainer has finished it, so the engine never parses half
// of a number.
func (s *fileSource) emit(out *bufio.Writer, data []byte) {
	for len(data) > 0 {
		i := indexByte(data, '\n')
		if i < 0 {
			s.partial = append(s.partial, data...)
			return
		}
		key(out, s.info, s.truncations, s.start)
		out.Write(s.partial)
		out.Write(data[:i+1])
		s.start += int64(len(s.partial) + i + 1)
		s.partial = s.partial[:0]
		data = data[i+1:]
	}
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// eventSource follows every event file under a directory.
type eventSource struct {
	dir     string
	metrics []string
	files   map[string]*eventFile
}

type eventFile struct {
	offset int64
	buf    []byte
	broken bool
}

func newEventSource(dir string, metrics []string) *eventSource {
	return &eventSource{dir: dir, metrics: metrics, files: map[string]*eventFile{}}
}

func (s *eventSource) read(out *bufio.Writer, final bool) error {
	var paths []string
	err := filepath.WalkDir(s.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == s.dir && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return nil
		}
		if !d.IsDir() && tfevents.IsEventFile(d.Name()) {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Names start with the creation time in seconds: older files first.
	sort.Strings(paths)
	var errs []error
	for _, p := range paths {
		ef := s.files[p]
		if ef == nil {
			ef = &eventFile{}
			s.files[p] = ef
		}
		if err := s.readFile(out, p, ef); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *eventSource) readFile(out *bufio.Writer, path string, ef *eventFile) error {
	if ef.broken {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Seek(ef.offset, io.SeekStart); err != nil {
		return err
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	info, err := f.Stat()
	if err != nil {
		return err
	}
	ef.offset += int64(len(data))
	ef.buf = append(ef.buf, data...)
	recs, n, err := tfevents.Split(ef.buf)
	at := ef.offset - int64(len(ef.buf)) // where ef.buf starts in the file
	for _, rec := range recs {
		start := at
		at += int64(len(rec)) + 16 // length, its checksum, the data, its checksum
		ev, derr := tfevents.Decode(rec)
		if derr != nil {
			continue
		}
		s.print(out, path, info, start, ev)
	}
	ef.buf = append(ef.buf[:0], ef.buf[n:]...)
	if err != nil {
		// A damaged file cannot be resynchronised; what came before the damage is printed.
		ef.broken = true
		return errors.New(path + ": " + err.Error())
	}
	return nil
}

// print writes one JSON line with the event's values of the wanted metrics, matched by
// Katib's rule: a metric "a/b/accuracy" takes tags starting with "accuracy" from files
// whose directory ends in "a/b"; a metric without a slash takes tags starting with its
// name from any file. Directories are compared at path boundaries.
func (s *eventSource) print(out *bufio.Writer, path string, info os.FileInfo, offset int64, ev tfevents.Event) {
	dir := filepath.Dir(path)
	var b strings.Builder
	for _, m := range s.metrics {
		base, parent := m, ""
		if i := strings.LastIndexByte(m, '/'); i >= 0 {
			base, parent = m[i+1:], m[:i]
		}
		if parent != "" && dir != parent && !strings.HasSuffix(dir, "/"+parent) {
			continue
		}
		for _, sc := range ev.Scalars {
			// NaN and infinities have no JSON form, and no tuner can compare them.
			if !strings.HasPrefix(sc.Tag, base) || math.IsNaN(sc.Value) || math.IsInf(sc.Value, 0) {
				continue
			}
			if b.Len() > 0 {
				b.WriteString(", ")
			}
			key, _ := json.Marshal(m)
			b.Write(key)
			b.WriteString(": " + formatValue(sc.Value))
			break
		}
	}
	if b.Len() == 0 {
		return
	}
	key(out, info, 0, offset)
	out.WriteString("{" + b.String() + ", \"timestamp\": " + strconv.FormatFloat(ev.WallTime, 'f', -1, 64) + "}\n")
}

// formatValue writes a summary's value with the digits it was written with: most
// summaries hold float32 values, whose float64 expansion (0.9012 becomes
// 0.901199996471405) is not what the trainer reported.
func formatValue(v float64) string {
	if float64(float32(v)) == v {
		return strconv.FormatFloat(v, 'g', -1, 32)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
