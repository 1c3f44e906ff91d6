package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"time"

	"p2pmesh/mesh/meshnode"
)

// startTimeout bounds listening and joining the multicast group.
const startTimeout = 10 * time.Second

// linkPoll is how often a node leaving at the end of input checks whether
// the lines its engine keeps for the first link went out.
const linkPoll = 100 * time.Millisecond

// runNode starts the node and serves the mesh until a signal, or the end of
// input with --exit-on-eof.
func runNode(opts options, cfg meshnode.Config, stdin io.Reader, stdout io.Writer, sig <-chan os.Signal) int {
	log := cfg.Logger
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	node, err := meshnode.Start(ctx, cfg)
	cancel()
	if err != nil {
		log.Error("cannot start the node", "err", err)
		return exitError
	}
	log.Info("p2pnode ready: type a line to broadcast it", "name", opts.name, "id", node.ID(), "listen", node.Addr())

	lines := make(chan string)
	go readLines(stdin, lines, log, cfg.Mesh.MaxPayload-1-len(opts.name))

	out := newPrinter(stdout, opts.jsonOut, log)
	s := session{opts: opts, node: node, log: log}
	var poll <-chan time.Time
	var eofDeadline <-chan time.Time
	deliveries := node.Deliveries()
	for {
		select {
		case d, ok := <-deliveries:
			if !ok {
				deliveries = nil
				continue
			}
			out.print(d)
		case line, ok := <-lines:
			if !ok {
				lines = nil
				if !opts.exitOnEOF {
					log.Info("end of input; still serving the mesh (SIGINT or SIGTERM to leave)")
					continue
				}
				if node.Stats().Unsent == 0 {
					return s.leave()
				}
				t := time.NewTicker(linkPoll)
				defer t.Stop()
				poll = t.C
				eofDeadline = time.After(opts.eofWait)
				continue
			}
			s.send(line)
		case <-poll:
			if node.Stats().Unsent == 0 {
				return s.leave()
			}
		case <-eofDeadline:
			// Lines were lost: a script piping into p2pnode must see it.
			log.Error("no peer found before --eof-wait: lines not sent", "lines", node.Stats().Unsent, "waited", opts.eofWait)
			s.leave()
			return exitUnsent
		case got := <-sig:
			log.Info("leaving the mesh", "signal", got)
			return s.leave()
		}
	}
}

// session is the node and the chat's view of it.
type session struct {
	opts  options
	node  *meshnode.Node
	log   *slog.Logger
	alone bool // the last line was sent without a link
}

// send broadcasts line. A line typed before the first peer is found waits
// in the engine, which sends it over its first link (mesh/unsent.go); the
// user is told once per time alone.
func (s *session) send(line string) {
	alone := s.node.Stats().Links == 0
	if alone && !s.alone {
		s.log.Info("no peer yet; lines wait until the first link")
	}
	s.alone = alone
	if _, err := s.node.Broadcast(encodeChatLine(s.opts.name, line)); err != nil {
		s.log.Error("line not sent", "err", err)
	}
}

// leave closes the node gracefully and returns the exit status.
func (s *session) leave() int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.node.Close(ctx); err != nil {
		s.log.Warn("left the mesh, but not every peer was told", "err", err)
	}
	st := s.node.Stats()
	s.log.Info("left the mesh", "delivered", st.Deliveries, "sent", st.Engine.Broadcasts, "redundant", st.Engine.Redundant)
	return exitOK
}

// readLines sends every line of r on lines and closes it at the end of
// input. Lines longer than maxLen bytes are refused with a log entry, not
// cut silently.
func readLines(r io.Reader, lines chan<- string, log *slog.Logger, maxLen int) {
	defer close(lines)
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := readLine(br, maxLen)
		if errors.Is(err, errLineTooLong) {
			log.Error("line not sent: longer than a broadcast may be", "max_bytes", maxLen)
			continue
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				log.Error("reading standard input", "err", err)
			}
			return
		}
		lines <- line
	}
}

var errLineTooLong = errors.New("line too long")

// readLine reads one line without its line ending; a final line without one
// counts too. A line longer than maxLen is consumed and errLineTooLong
// returned.
func readLine(br *bufio.Reader, maxLen int) (string, error) {
	var buf []byte
	tooLong := false
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			buf = append(buf, chunk...)
			if len(buf) > maxLen+2 { // room for "\r\n"
				tooLong, buf = true, nil
			}
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err != nil && (len(buf) == 0 && !tooLong || !errors.Is(err, io.EOF)):
			return "", err
		}
		if tooLong {
			return "", errLineTooLong
		}
		n := len(buf)
		if n > 0 && buf[n-1] == '\n' {
			n--
		}
		if n > 0 && buf[n-1] == '\r' {
			n--
		}
		if n > maxLen {
			return "", errLineTooLong
		}
		return string(buf[:n]), nil
	}
}
