package sip

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"

	gosip "github.com/emiago/sipgo/sip"
)

// sipgo logs through log/slog: a default logger of its own for much of its transport code, and
// loggers its layers are given. Its messages speak of its internals and many are caused by what
// a peer sends (a message that does not parse is logged at ERROR with the whole message), so a
// scanner could fill the log at any level. Lineup sends them all through its own logger, at
// DEBUG, with long values cut: `--log-level debug` shows them, and the line server's own
// messages stay what its INFO and WARN lines say.

// maxLoggedValue is how much of a string value of a sipgo log record is kept.
const maxLoggedValue = 240

// sipgoHandler lowers sipgo's records to DEBUG and cuts long string values before handing them
// to Lineup's handler.
type sipgoHandler struct{ next slog.Handler }

func (h sipgoHandler) Enabled(ctx context.Context, _ slog.Level) bool {
	return h.next.Enabled(ctx, slog.LevelDebug)
}

func (h sipgoHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, slog.LevelDebug, r.Message, r.PC)
	out.AddAttrs(slog.String("component", "sipgo"))
	if r.Level > slog.LevelDebug {
		out.AddAttrs(slog.String("sipgo_level", r.Level.String()))
	}
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(cutAttr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h sipgoHandler) WithAttrs(as []slog.Attr) slog.Handler {
	cut := make([]slog.Attr, len(as))
	for i, a := range as {
		cut[i] = cutAttr(a)
	}
	return sipgoHandler{h.next.WithAttrs(cut)}
}

func (h sipgoHandler) WithGroup(name string) slog.Handler {
	return sipgoHandler{h.next.WithGroup(name)}
}

func cutAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindString && len(v.String()) > maxLoggedValue {
		return slog.String(a.Key, v.String()[:maxLoggedValue]+"…")
	}
	if v.Kind() == slog.KindAny {
		if err, ok := v.Any().(error); ok && len(err.Error()) > maxLoggedValue {
			return slog.String(a.Key, err.Error()[:maxLoggedValue]+"…")
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// sipgoLogger is log as sipgo's logger.
func sipgoLogger(log *slog.Logger) *slog.Logger { return slog.New(sipgoHandler{log.Handler()}) }

// sipgoDefault is the handler behind sipgo's process-wide default logger. sipgo reads that
// logger without a lock, so it is set once (defaultOnce) and an endpoint made later only swaps
// the handler this one forwards to.
var (
	defaultOnce  sync.Once
	sipgoDefault atomic.Pointer[slog.Logger]
)

type defaultHandler struct{}

func (defaultHandler) current() slog.Handler { return sipgoDefault.Load().Handler() }

func (h defaultHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.current().Enabled(ctx, l)
}
func (h defaultHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.current().Handle(ctx, r)
}
func (h defaultHandler) WithAttrs(as []slog.Attr) slog.Handler { return h.current().WithAttrs(as) }
func (h defaultHandler) WithGroup(name string) slog.Handler    { return h.current().WithGroup(name) }

// useSipgoLogger makes log (as sipgoLogger) sipgo's process-wide default logger, which its
// transports pick up when they are made, and returns it for the layers that take a logger. With
// several endpoints in one process (tests) the default follows the newest one.
func useSipgoLogger(log *slog.Logger) *slog.Logger {
	l := sipgoLogger(log)
	sipgoDefault.Store(l)
	defaultOnce.Do(func() { gosip.SetDefaultLogger(slog.New(defaultHandler{})) })
	return l
}
