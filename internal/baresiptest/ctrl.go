package baresiptest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
)

// Event is one event baresip's ctrl_tcp module reported.
type Event struct {
	// Type is baresip's event name, e.g. "CALL_INCOMING", "CALL_ESTABLISHED", "CALL_CLOSED",
	// "CALL_DTMF_START", "CALL_REMOTE_SDP", "REGISTER_OK".
	Type string `json:"type"`
	// Class is "call", "register", "other", ...
	Class string `json:"class"`
	// AccountAOR is the agent's own address of record.
	AccountAOR string `json:"accountaor"`
	// Direction is "incoming" or "outgoing" for call events.
	Direction string `json:"direction"`
	// PeerURI is the other party of the call.
	PeerURI string `json:"peeruri"`
	// CallID is baresip's call id (the SIP Call-ID), empty for some early events.
	CallID string `json:"id"`
	// Param is the event's detail: the reason of CALL_CLOSED, the digit of CALL_DTMF_START,
	// "offer" or "answer" of CALL_REMOTE_SDP, the peer URI of CALL_INCOMING.
	Param string `json:"param"`
	// Raw is the whole JSON message.
	Raw string `json:"-"`
}

// ErrCommand is wrapped by errors baresip returned for a command.
var ErrCommand = errors.New("baresip command failed")

// maxNetstring bounds one control message; baresip's are a few kB at most.
const maxNetstring = 1 << 20

// ctrlMessage is any message from ctrl_tcp: a response to a command or an event.
type ctrlMessage struct {
	Event    bool   `json:"event"`
	Response bool   `json:"response"`
	OK       bool   `json:"ok"`
	Data     string `json:"data"`
	Token    string `json:"token"`
}

type response struct {
	ok   bool
	data string
}

// ctrlConn is the connection to ctrl_tcp. Commands are sent one at a time; a reader goroutine,
// owned by the connection and ended by close, delivers responses to the waiting command and
// events to onEvent.
type ctrlConn struct {
	conn    net.Conn
	onEvent func(Event)
	done    chan struct{} // closed when the reader ended
	readErr error         // valid after done

	cmdMu   sync.Mutex // one command in flight
	mu      sync.Mutex
	pending map[string]chan response
	nextTok int
}

func newCtrlConn(conn net.Conn, onEvent func(Event)) *ctrlConn {
	c := &ctrlConn{conn: conn, onEvent: onEvent, done: make(chan struct{}), pending: map[string]chan response{}}
	go c.readLoop()
	return c
}

func (c *ctrlConn) readLoop() {
	defer close(c.done)
	r := bufio.NewReader(c.conn)
	for {
		msg, err := readNetstring(r)
		if err != nil {
			c.readErr = err
			return
		}
		var m ctrlMessage
		if err := json.Unmarshal(msg, &m); err != nil {
			c.readErr = fmt.Errorf("baresiptest: bad control message %q: %w", msg, err)
			return
		}
		switch {
		case m.Response:
			c.mu.Lock()
			ch := c.pending[m.Token]
			delete(c.pending, m.Token)
			c.mu.Unlock()
			if ch != nil {
				ch <- response{ok: m.OK, data: m.Data}
			}
		case m.Event:
			var ev Event
			if err := json.Unmarshal(msg, &ev); err == nil {
				ev.Raw = string(msg)
				c.onEvent(ev)
			}
		}
	}
}

// command sends one command and waits for its response.
func (c *ctrlConn) command(ctx context.Context, name, params string) (string, error) {
	c.cmdMu.Lock()
	defer c.cmdMu.Unlock()
	c.mu.Lock()
	c.nextTok++
	tok := "t" + strconv.Itoa(c.nextTok)
	ch := make(chan response, 1)
	c.pending[tok] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, tok)
		c.mu.Unlock()
	}()

	body, err := json.Marshal(map[string]string{"command": name, "params": params, "token": tok})
	if err != nil {
		return "", fmt.Errorf("baresiptest: encode command: %w", err)
	}
	if _, err := c.conn.Write(netstring(body)); err != nil {
		return "", fmt.Errorf("baresiptest: send %s: %w", name, err)
	}
	select {
	case r := <-ch:
		if !r.ok {
			return r.data, fmt.Errorf("%w: %s %s: %s", ErrCommand, name, params, r.data)
		}
		return r.data, nil
	case <-c.done:
		return "", fmt.Errorf("baresiptest: %s: control connection closed: %w", name, c.readErr)
	case <-ctx.Done():
		return "", fmt.Errorf("baresiptest: %s: %w", name, ctx.Err())
	}
}

// close closes the connection and waits for the reader.
func (c *ctrlConn) close() {
	_ = c.conn.Close()
	<-c.done
}

func netstring(b []byte) []byte {
	out := strconv.AppendInt(nil, int64(len(b)), 10)
	out = append(out, ':')
	out = append(out, b...)
	return append(out, ',')
}

func readNetstring(r *bufio.Reader) ([]byte, error) {
	n := 0
	for digits := 0; ; digits++ {
		ch, err := r.ReadByte()
		if err != nil {
			return nil, err
		}
		if ch == ':' && digits > 0 {
			break
		}
		if ch < '0' || ch > '9' || digits > 7 {
			return nil, fmt.Errorf("baresiptest: bad netstring length byte %q", ch)
		}
		n = n*10 + int(ch-'0')
	}
	if n > maxNetstring {
		return nil, fmt.Errorf("baresiptest: netstring of %d bytes is too long", n)
	}
	buf := make([]byte, n+1)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	if buf[n] != ',' {
		return nil, fmt.Errorf("baresiptest: netstring not terminated by a comma")
	}
	return buf[:n], nil
}
