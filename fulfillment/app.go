package fulfillment

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"

	"github.com/reservations/reservations/httperr"
)

// MaxRequestBytes is the largest request body the App reads (1 MiB); a larger one is answered 413.
const MaxRequestBytes = 1 << 20

// Apology is what the user hears when a handler fails or its answer cannot be sent, unless SetApology gave
// the words in the user's language.
const Apology = "Sorry, something went wrong on our side. Please try again in a little while."

// Handler answers one conversation turn through c. An error makes the App answer with a spoken apology that
// closes the conversation, and log the error: never put personal data in it.
type Handler func(ctx context.Context, c *Conv) error

// App dispatches conversation turns to handlers registered by intent display name. Register every handler
// before serving; after that the App is safe for concurrent use.
type App struct {
	log      *slog.Logger
	handlers map[string]Handler
	fallback Handler
	apology  func(locale string) string
}

// NewApp returns an App that logs through logger (nothing when nil).
func NewApp(logger *slog.Logger) *App {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &App{log: logger, handlers: map[string]Handler{}}
}

// Handle registers h for the intent display name (Dialogflow), which is also the name the Actions SDK
// envelope maps AoG intents to (see ActionsSDKIntentName). An Actions SDK turn whose raw AoG intent
// (actions.intent.TEXT, a custom intent) has a handler of its own goes to that handler first.
func (a *App) Handle(displayName string, h Handler) { a.handlers[displayName] = h }

// SetApology makes the apology a failed turn answers with come from words, given the user's locale (see
// Conv.Locale), instead of the English Apology. Call it before serving.
func (a *App) SetApology(words func(locale string) string) { a.apology = words }

// apologyFor returns the apology in the user's language.
func (a *App) apologyFor(c *Conv) string {
	if a.apology != nil {
		if s := a.apology(c.Locale()); s != "" {
			return s
		}
	}
	return Apology
}

// Fallback registers the handler for turns whose intent has no handler (Dialogflow's "Default Fallback
// Intent" when it is not registered by name, the Actions SDK's actions.intent.TEXT).
func (a *App) Fallback(h Handler) { a.fallback = h }

// Dialogflow returns the handler for POST /fulfillment/dialogflow (Dialogflow ES v2 webhook). Authenticate
// Dialogflow (basic auth or a header) in front of it.
func (a *App) Dialogflow() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.serveHTTP(w, r, EnvelopeDialogflow, nil)
	})
}

// ActionsSDK returns the handler for POST /fulfillment/actions-sdk (Actions SDK conversation webhook). Every
// request's JWT is checked by v; a nil v checks nothing (for --dev only).
func (a *App) ActionsSDK(v *Verifier) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.serveHTTP(w, r, EnvelopeActionsSDK, v)
	})
}

func (a *App) serveHTTP(w http.ResponseWriter, r *http.Request, env Envelope, v *Verifier) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, r, http.StatusMethodNotAllowed, "method not allowed: use POST")
		return
	}
	if v != nil {
		if _, err := v.VerifyRequest(r); err != nil {
			status := http.StatusUnauthorized
			if errors.Is(err, ErrKeysUnavailable) {
				status = http.StatusServiceUnavailable
			}
			a.log.LogAttrs(r.Context(), slog.LevelWarn, "actions sdk request verification failed",
				slog.Int("status", status), slog.String("error", err.Error()))
			writeError(w, r, status, "request verification failed: "+err.Error())
			return
		}
	}
	bp := bodyBufs.Get().(*[]byte)
	defer putBodyBuf(bp)
	body, status, err := readBody(w, r, (*bp)[:0])
	*bp = body
	if err != nil {
		writeError(w, r, status, err.Error())
		return
	}
	var c *Conv
	if env == EnvelopeActionsSDK {
		c, err = ParseActionsSDK(body)
	} else {
		c, err = ParseDialogflow(body)
	}
	if err != nil {
		writeError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	out := a.Answer(r.Context(), c)
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out) // a Writer does not keep out (io.Writer), so its buffer can be reused
	c.releaseResponse()
}

// bodyBufs holds request body buffers between turns. The parsers copy what they keep (strings, RawMessage
// members), so a body's buffer is reused as soon as its turn is answered; one that grew past maxPooledBody is
// dropped instead.
var bodyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

const maxPooledBody = 64 << 10

func putBodyBuf(bp *[]byte) {
	if cap(*bp) <= maxPooledBody {
		*bp = (*bp)[:0]
		bodyBufs.Put(bp)
	}
}

// readBody reads the request body through the MaxRequestBytes limit, appending to buf (whose grown form it
// returns in every case, for the pool).
func readBody(w http.ResponseWriter, r *http.Request, buf []byte) ([]byte, int, error) {
	if r.ContentLength > MaxRequestBytes {
		return buf, http.StatusRequestEntityTooLarge, fmt.Errorf("request body larger than %d bytes", MaxRequestBytes)
	}
	if n := int(r.ContentLength) + 1; r.ContentLength > 0 && cap(buf)-len(buf) < n {
		buf = slices.Grow(buf, n)
	}
	// With a Content-Length the server's body reader ends after it (at most MaxRequestBytes, checked above); the
	// LimitedReader only guards handlers given other bodies. Without one, MaxBytesReader also tells the server
	// to close the connection when the client sends too much. (Both are called by their concrete types, so the
	// LimitedReader stays on the stack.)
	lr := io.LimitedReader{R: r.Body, N: MaxRequestBytes + 1}
	var mbr io.ReadCloser
	if r.ContentLength < 0 {
		mbr = http.MaxBytesReader(w, r.Body, MaxRequestBytes)
	}
	var err error
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, 4<<10)
		}
		var n int
		if mbr != nil {
			n, err = mbr.Read(buf[len(buf):cap(buf)])
		} else {
			n, err = lr.Read(buf[len(buf):cap(buf)])
		}
		buf = buf[:len(buf)+n]
		if err != nil {
			break
		}
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig), len(buf) > MaxRequestBytes:
		return buf, http.StatusRequestEntityTooLarge, fmt.Errorf("request body larger than %d bytes", MaxRequestBytes)
	case err != io.EOF:
		return buf, http.StatusBadRequest, fmt.Errorf("reading request body: %w", err)
	case len(buf) == 0:
		return buf, http.StatusBadRequest, errors.New("empty request body")
	}
	return buf, http.StatusOK, nil
}

// Answer runs the handler for c's intent and returns the encoded response. When there is no handler, the
// handler fails or panics, or its response cannot be sent (too large, against the Assistant's rules), it logs
// the error and returns the spoken apology instead, closing the conversation.
func (a *App) Answer(ctx context.Context, c *Conv) []byte {
	for _, w := range c.warnings {
		a.log.LogAttrs(ctx, slog.LevelWarn, "fulfillment request state ignored",
			slog.String("envelope", c.envelope.String()), slog.String("intent", c.intent), slog.String("problem", w))
	}
	err := a.dispatch(ctx, c)
	var out []byte
	if err == nil {
		out, err = c.Response()
	}
	if err != nil {
		a.log.LogAttrs(ctx, slog.LevelError, "fulfillment handler failed",
			slog.String("envelope", c.envelope.String()), slog.String("intent", c.intent),
			slog.String("error", err.Error()))
		return c.apologize(a.apologyFor(c))
	}
	return out
}

// dispatch calls the handler for the turn, turning a panic into an error.
func (a *App) dispatch(ctx context.Context, c *Conv) (err error) {
	h := a.handlerFor(c)
	if h == nil {
		return fmt.Errorf("no handler for intent %q and no fallback", c.intent)
	}
	defer func() {
		if p := recover(); p != nil {
			a.log.LogAttrs(ctx, slog.LevelError, "fulfillment handler panicked",
				slog.String("intent", c.intent), slog.String("stack", string(debug.Stack())))
			err = fmt.Errorf("handler panic: %s", describePanic(p))
		}
	}()
	return h(ctx, c)
}

// describePanic names a panic without its value unless it is a runtime error: a handler's panic value may
// carry personal data, the stack trace logged with it shows where it happened.
func describePanic(p any) string {
	if re, ok := p.(runtime.Error); ok {
		return re.Error()
	}
	return fmt.Sprintf("value of type %T", p)
}

func (a *App) handlerFor(c *Conv) Handler {
	if c.envelope == EnvelopeActionsSDK && c.rawIntent != "" {
		if h, ok := a.handlers[c.rawIntent]; ok {
			return h
		}
	}
	if h, ok := a.handlers[c.intent]; ok {
		return h
	}
	if c.envelope == EnvelopeActionsSDK {
		// A custom intent of the action package that carries a helper's result (seed 001 names them
		// reservation_transaction_check_complete_asdk and the like): the result says which step it is.
		var name string
		switch {
		case c.hasRequirements:
			name = NameRequirementsCheck
		case c.decision != nil:
			name = NameDecision
		case c.hasOption:
			name = NameSelectSlot
		}
		if h, ok := a.handlers[name]; ok {
			return h
		}
	}
	return a.fallback
}

// writeError answers status with the service's JSON error body (package httperr), its reason the google.rpc
// word for the status.
func writeError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	httperr.Write(w, r, status, httperr.Reason(status), msg)
}
