// Package server builds the service's HTTP front: a Gin engine with production middleware (request ids, an
// access log in Cloud Logging's shape, Prometheus metrics, panic recovery, a request body limit, JSON 404/405
// errors, explicit trusted proxies), the operational endpoints /healthz, /readyz and /metrics, and an
// http.Server with timeouts and a graceful shutdown.
//
// Every error the server answers itself (404, 405, 413, 500) has the JSON body of package httperr, with the
// request id the requestID middleware put in the request context (where logging.RequestID and the adapters
// behind gin.WrapH find it).
//
// The binary (cmd/reservations) creates a Server with [New], mounts the protocol adapters (plain
// http.Handlers, wrapped in their authentication middleware) with [Server.Mount], and runs it with
// [Server.ListenAndServe] until its context is cancelled.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Defaults used for zero Config fields.
const (
	DefaultMaxBodyBytes      = 1 << 20 // 1 MiB
	DefaultShutdownTimeout   = 20 * time.Second
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultReadyTimeout      = time.Second
)

// Pinger reports whether a dependency answers; /readyz calls it. booking.Store implements it.
type Pinger interface {
	Ping(ctx context.Context) error
}

// PingerFunc adapts a function to [Pinger].
type PingerFunc func(ctx context.Context) error

// Ping calls f.
func (f PingerFunc) Ping(ctx context.Context) error { return f(ctx) }

// Config configures [New]. Zero values take the defaults above.
type Config struct {
	// Addr is the host:port ListenAndServe listens on, such as "0.0.0.0:8080".
	Addr string
	// Logger receives the access log and the server's own lines; nil discards them.
	Logger *slog.Logger
	// Registry is where the HTTP metrics are registered and what /metrics exposes; nil creates one with
	// [NewRegistry]. Pass your own to register other metrics (the orders worker's) on the same registry.
	Registry *prometheus.Registry
	// Store is what /readyz pings (prefixed "store: " in the reason); nil means always ready.
	Store Pinger
	// MaxBodyBytes limits every request body; larger bodies get 413.
	MaxBodyBytes int64
	// TrustedProxies are the IPs or CIDRs whose X-Forwarded-For is believed for the client IP; nil trusts
	// none, so the client IP is the peer address.
	TrustedProxies []string
	// TrustedPlatform names a header set by the hosting platform that carries the client IP (such as
	// gin.PlatformGoogleAppEngine); "" trusts no such header.
	TrustedPlatform string

	ShutdownTimeout   time.Duration // how long in-flight requests may take to finish once shutdown starts
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	ReadyTimeout      time.Duration // the deadline of the /readyz ping
}

// Server is the HTTP server. Mount routes on Engine before calling Serve or ListenAndServe.
type Server struct {
	cfg     Config
	log     *slog.Logger
	engine  *gin.Engine
	reg     *prometheus.Registry
	metrics *httpMetrics
}

// New builds the engine with the middleware chain and the ops endpoints. It fails on an invalid trusted proxy
// or when the HTTP metrics are already registered on cfg.Registry.
//
// The engine does not redirect a path with or without a trailing slash to the other form (Gin's default):
// such redirects bypass the middleware and break POST clients, so routes whose trailing slash is optional
// must be registered in both forms. Call gin.SetMode(gin.ReleaseMode) in main before New.
func New(cfg Config) (*Server, error) {
	applyDefaults(&cfg)
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	reg := cfg.Registry
	if reg == nil {
		reg = NewRegistry()
	}
	m, err := newHTTPMetrics(reg)
	if err != nil {
		return nil, err
	}

	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.ContextWithFallback = true
	e.RedirectTrailingSlash = false
	e.RedirectFixedPath = false
	if err := e.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		return nil, fmt.Errorf("trusted proxies: %w", err)
	}
	e.TrustedPlatform = cfg.TrustedPlatform

	s := &Server{cfg: cfg, log: log, engine: e, reg: reg, metrics: m}
	e.Use(requestID(), s.observe(), s.recovery(), bodyLimit(cfg.MaxBodyBytes))
	e.NoRoute(func(c *gin.Context) { AbortJSON(c, http.StatusNotFound, "not found") })
	e.NoMethod(func(c *gin.Context) { AbortJSON(c, http.StatusMethodNotAllowed, "method not allowed") })

	e.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", gin.WrapH(promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		Registry:          reg,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelError),
		EnableOpenMetrics: false,
	})))
	return s, nil
}

func applyDefaults(cfg *Config) {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	def(&cfg.ShutdownTimeout, DefaultShutdownTimeout)
	def(&cfg.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	def(&cfg.ReadTimeout, DefaultReadTimeout)
	def(&cfg.WriteTimeout, DefaultWriteTimeout)
	def(&cfg.IdleTimeout, DefaultIdleTimeout)
	def(&cfg.ReadyTimeout, DefaultReadyTimeout)
}

// Engine returns the Gin engine, for routes written as Gin handlers; http.Handlers are mounted with
// [Server.Mount]:
//
//	srv.Engine().GET("/version", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"version": v}) })
func (s *Server) Engine() *gin.Engine { return s.engine }

// Mount serves each of patterns with h, through gin.WrapH. A pattern is a net/http ServeMux pattern with a
// method and no host, as the adapter's own mux registers it: "POST /v3/CreateBooking",
// "GET /admin/v1/bookings/{id}", "GET /admin/assets/{name...}", "GET /admin/{$}". It is registered on the
// engine in Gin's syntax (/v3/CreateBooking, /admin/v1/bookings/:id, /admin/assets/*name, /admin/), which is
// also the route label of the metrics. The engine routes first: a request no pattern matches gets the server's
// JSON 404 or 405 and never reaches h, nor the authentication middleware h may be wrapped in.
//
// A GET pattern is registered for GET only (HEAD gets 405); list "HEAD /path" as well to serve HEAD.
func (s *Server) Mount(h http.Handler, patterns ...string) error {
	wrapped := gin.WrapH(h)
	for _, p := range patterns {
		method, path, err := ginRoute(p)
		if err != nil {
			return err
		}
		s.engine.Handle(method, path, wrapped)
	}
	return nil
}

// ginRoute turns a ServeMux pattern with a method into Gin's method and path: {name} becomes :name, a final
// {name...} becomes *name and a final {$} is dropped (the path keeps its trailing slash).
func ginRoute(pattern string) (method, path string, err error) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok || method == "" || !strings.HasPrefix(path, "/") {
		return "", "", fmt.Errorf("mount %q: want a method and a path, such as \"GET /admin/{$}\"", pattern)
	}
	segs := strings.Split(path, "/")
	last := len(segs) - 1
	for i, seg := range segs {
		name, ok := strings.CutPrefix(seg, "{")
		if !ok {
			continue
		}
		name, ok = strings.CutSuffix(name, "}")
		switch rest, multi := strings.CutSuffix(name, "..."); {
		case !ok || name == "" || (name == "$" || multi) && i != last:
			return "", "", fmt.Errorf("mount %q: malformed wildcard %q", pattern, seg)
		case name == "$":
			segs[i] = ""
		case multi:
			segs[i] = "*" + rest
		default:
			segs[i] = ":" + name
		}
	}
	return method, strings.Join(segs, "/"), nil
}

// Handler returns the engine as an http.Handler (for tests and custom servers).
func (s *Server) Handler() http.Handler { return s.engine }

// Registry returns the Prometheus registry /metrics exposes.
func (s *Server) Registry() *prometheus.Registry { return s.reg }

// ListenAndServe listens on Config.Addr and calls [Server.Serve].
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves HTTP on ln until ctx is cancelled, then shuts down gracefully: it stops accepting connections,
// lets in-flight requests finish within ShutdownTimeout (their contexts are not cancelled), closes what is
// left, and returns. It returns nil after a clean drain, an error when the drain timed out or serving failed.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.engine,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	s.log.Info("http server listening", "addr", ln.Addr().String())

	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("http server draining", "timeout", s.cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		s.log.Error("http server stopped with an error", "err", serr)
	}
	if err != nil {
		_ = hs.Close()
		return fmt.Errorf("http server shutdown: %w", err)
	}
	s.log.Info("http server drained")
	return nil
}

// readyz pings the store with the ready timeout: 200 {"status":"ready"} or 503
// {"status":"unavailable","reason":"store: …"}.
func (s *Server) readyz(c *gin.Context) {
	if s.cfg.Store != nil {
		ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.ReadyTimeout)
		defer cancel()
		if err := s.cfg.Store.Ping(ctx); err != nil {
			s.log.WarnContext(c.Request.Context(), "readiness check failed", "check", "store", "err", err)
			c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "reason": "store: " + err.Error()})
			return
		}
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}
