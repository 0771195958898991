package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/lineupphone/lineup/internal/bench/benchkit"
	"github.com/lineupphone/lineup/internal/testpbx"
	"github.com/lineupphone/lineup/store"
)

// provisioning is the set-up of the measured line server: one group that answers 486 while no
// client is logged on and journals every call (unless -journal=false), and one line registered
// at the PBX whose user is the one SIPp calls.
const provisioning = `[[group]]
name = "Bench"
not_logged_on = "486"
journal_all = %t

[[line]]
name = "Bench line"
group = "Bench"

[line.account]
registrar = %q
user = %q
password = %q
transport = "udp"
`

// lineupServer is a running `lineup serve` with its PBX and data directory.
type lineupServer struct {
	o      options
	pbx    *testpbx.PBX
	dir    string // temporary; holds the provisioning file and the data directory
	data   string
	c      *benchkit.Child
	addr   string   // the line server's UDP address
	exitOK bool     // the process exited with status 0 after SIGTERM
	output *os.File // the copy of the server's output, or nil
}

// startLineup starts a Kamailio with the line's user, provisions a fresh data directory with the
// lineup binary and starts `lineup serve` on 127.0.0.1 (a free port). It returns once the line
// server has started and the line has registered (or -timeout passed, which is only reported:
// incoming calls do not need the registration).
func startLineup(ctx context.Context, o options, w io.Writer) (_ *lineupServer, err error) {
	s := &lineupServer{o: o}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	pctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	const password = "bench-password"
	if s.pbx, err = testpbx.Launch(pctx, testpbx.Config{
		Users: []testpbx.User{{Name: o.user, Password: password}}, Children: 1,
	}); err != nil {
		return nil, fmt.Errorf("lineup: start kamailio: %w", err)
	}
	if s.dir, err = os.MkdirTemp("", "bench-decline-lineup-"); err != nil {
		return nil, fmt.Errorf("lineup: %w", err)
	}
	file := filepath.Join(s.dir, "lines.toml")
	text := fmt.Sprintf(provisioning, o.journal, s.pbx.UDPAddr(), o.user, password)
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		return nil, fmt.Errorf("lineup: %w", err)
	}
	s.data = filepath.Join(s.dir, "data")
	if err := benchkit.ProvisionImport(pctx, o.lineup, s.data, file); err != nil {
		return nil, fmt.Errorf("lineup: %w", err)
	}

	// SIPp plays the phone system and calls the line server directly, from 127.0.0.1 on a port
	// of its own: trust that host, as an office would trust its PBX's address.
	args := append([]string{"--data", s.data, "--secrets", "database", "--log-level", o.logLevel, "serve",
		"--sip-listen", "127.0.0.1", "--sip-port", "0", "--audio", "none",
		"--sip-trusted-peer", "127.0.0.1"}, o.serveArgs...)
	var copyTo io.Writer
	if o.lineupOutput != "" {
		f, err := os.OpenFile(o.lineupOutput, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("lineup: %w", err)
		}
		s.output = f
		copyTo = f
	}
	c, lines, err := benchkit.StartChild("lineup serve", exec.Command(o.lineup, args...),
		benchkit.Output{Lossy: true, CopyTo: copyTo})
	if err != nil {
		return nil, fmt.Errorf("lineup: %w", err)
	}
	s.c = c
	if s.addr, err = waitLine(ctx, c, lines, o.timeout, func(l string) (string, bool) {
		f := benchkit.LogFields(l)
		return f["udp"], f["msg"] == "line server started" && f["udp"] != ""
	}); err != nil {
		return nil, fmt.Errorf("lineup: %w", err)
	}
	if _, err := waitLine(ctx, c, lines, 10*time.Second, func(l string) (string, bool) {
		return "", benchkit.LogFields(l)["msg"] == "line registered"
	}); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		fmt.Fprintf(w, "note: the line did not register (%v); measuring anyway\n", firstLine(err.Error()))
	}
	return s, nil
}

// stop ends the line server with SIGTERM, which flushes the journal, and waits for its exit.
func (s *lineupServer) stop() error {
	err := s.c.Stop(s.o.timeout)
	s.exitOK = err == nil
	if err != nil {
		return fmt.Errorf("lineup serve exit: %w\n%s", err, s.c.OutputTail())
	}
	return nil
}

// close stops whatever still runs and removes the data directory.
func (s *lineupServer) close() {
	if s.c != nil {
		s.c.Kill()
	}
	if s.pbx != nil {
		s.pbx.Stop()
	}
	if s.output != nil {
		s.output.Close()
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

// journalCount counts the journal entries in the stopped server's data directory: with the store
// package, and with `lineup journal --csv` where the binary has that command (cli is -1 where it
// has not).
func (s *lineupServer) journalCount(ctx context.Context) (stored, cli int, err error) {
	st, err := store.Open(s.data)
	if err != nil {
		return 0, -1, fmt.Errorf("journal: %w", err)
	}
	stored, qerr := countJournal(st.Journal())
	if err := errors.Join(qerr, st.Close()); err != nil {
		return 0, -1, fmt.Errorf("journal: %w", err)
	}

	jctx, cancel := context.WithTimeout(ctx, s.o.timeout)
	defer cancel()
	cmd := exec.CommandContext(jctx, s.o.lineup, "--data", s.data, "--secrets", "database", "journal", "--csv")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return stored, -1, fmt.Errorf("journal --csv: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return stored, -1, fmt.Errorf("journal --csv: %w", err)
	}
	rows, readErr := countCSV(out)
	if cmd.Wait() != nil {
		return stored, -1, nil // no such command in this binary
	}
	if readErr != nil {
		return stored, -1, fmt.Errorf("journal --csv: %w", readErr)
	}
	return stored, max(0, rows-1), nil // less the header row
}

// countJournal counts the entries a page at a time, newest first.
func countJournal(j *store.Journal) (int, error) {
	n := 0
	q := store.JournalQuery{Limit: 10000}
	for {
		page, err := j.Query(q)
		if err != nil {
			return n, err
		}
		n += len(page)
		if len(page) < q.Limit {
			return n, nil
		}
		q.Before = page[len(page)-1].ID
	}
}

// countCSV counts the records of a CSV stream, reading it to the end.
func countCSV(r io.Reader) (int, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	n := 0
	for {
		_, err := cr.Read()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			io.Copy(io.Discard, r)
			return n, err
		}
		n++
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
