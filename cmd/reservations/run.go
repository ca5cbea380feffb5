package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/actionscenter"
	"github.com/reservations/reservations/booking/admin"
	"github.com/reservations/reservations/booking/admin/web"
	"github.com/reservations/reservations/booking/bolt"
	"github.com/reservations/reservations/booking/redis"
	"github.com/reservations/reservations/fulfillment"
	"github.com/reservations/reservations/httpauth"
	"github.com/reservations/reservations/httperr"
	"github.com/reservations/reservations/intents"
	"github.com/reservations/reservations/orders"
	"github.com/reservations/reservations/server"
)

// Worker is a background loop that serve and worker start and stop: Run works until ctx is cancelled and then
// returns nil once it has finished what it started. An error returned while ctx is still live means the loop
// cannot go on; the process then shuts down and exits with status 1.
type Worker interface {
	Run(ctx context.Context) error
}

// namedWorker is a Worker with a name for logs.
type namedWorker struct {
	name string
	w    Worker
}

// storeOpenTimeout bounds opening the store at start-up.
const storeOpenTimeout = 10 * time.Second

// run wires the command's parts from cfg and runs them until ctx is cancelled. Problems with the
// configuration found while wiring (an inventory that does not validate, a key file that is not a
// service-account key) are *ConfigError.
func run(ctx context.Context, cfg *Config, log *slog.Logger) error {
	if cfg.Dev && cfg.Command == cmdServe {
		devWarning(log, cfg)
	}
	inv, err := loadInventory(cfg)
	if err != nil {
		return err
	}
	creds, err := loadCredentials(cfg)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	core, err := booking.NewService(booking.Config{Store: store, Inventory: inv})
	if err != nil {
		_ = store.Close()
		return &ConfigError{Flag: "inventory", Env: "RESERVATIONS_INVENTORY", Msg: err.Error()}
	}

	reg := server.NewRegistry()
	p := &process{log: log, store: store, stopTimeout: cfg.ShutdownTimeout}
	if cfg.Command == cmdWorker || cfg.Worker {
		w, err := newOrdersWorker(cfg, core, store, creds, reg, log)
		if err != nil {
			_ = store.Close()
			return err
		}
		p.workers = append(p.workers, namedWorker{name: "orders", w: w})
	}
	if cfg.Command == cmdServe {
		srv, err := newServer(cfg, core, store, inv, reg, log)
		if err != nil {
			_ = store.Close()
			return err
		}
		p.serveHTTP = srv.ListenAndServe
	}
	log.Info("reservations starting", "command", cfg.Command, "version", version,
		"store", cfg.StoreDescription(), "worker", len(p.workers) > 0, "sandbox", cfg.Sandbox)
	return p.run(ctx)
}

// loadInventory reads RESERVATIONS_INVENTORY, or returns the built-in sample merchant.
func loadInventory(cfg *Config) (*booking.Inventory, error) {
	if cfg.InventoryFile == "" {
		return booking.SampleInventory(), nil
	}
	inv, err := booking.LoadInventoryFile(cfg.InventoryFile)
	if err != nil {
		return nil, &ConfigError{Flag: "inventory", Env: "RESERVATIONS_INVENTORY", Msg: err.Error()}
	}
	return inv, nil
}

// loadCredentials reads GOOGLE_APPLICATION_CREDENTIALS when set; nil means updates stay queued.
func loadCredentials(cfg *Config) (*orders.Credentials, error) {
	if cfg.CredentialsFile == "" {
		return nil, nil
	}
	c, err := orders.LoadCredentials(cfg.CredentialsFile)
	if err != nil {
		return nil, &ConfigError{Flag: "google-application-credentials", Env: "GOOGLE_APPLICATION_CREDENTIALS", Msg: err.Error()}
	}
	return c, nil
}

// openStore opens the store RESERVATIONS_STORE names: the embedded bbolt file (its directory is created) or
// Redis (which must answer a PING): one server, a Redis Cluster or a master behind Sentinel, with the URL's
// wait_replicas (redis.Open reads the URL).
func openStore(ctx context.Context, cfg *Config) (booking.Store, error) {
	switch cfg.StoreKind {
	case storeBolt:
		s, err := bolt.Open(cfg.BoltPath, bolt.Options{})
		if err != nil {
			return nil, fmt.Errorf("open store %s: %w", cfg.StoreDescription(), err)
		}
		return s, nil
	case storeRedis:
		octx, cancel := context.WithTimeout(ctx, storeOpenTimeout)
		defer cancel()
		s, err := redis.Open(octx, cfg.RedisURL, redis.Options{})
		if err != nil {
			return nil, fmt.Errorf("open store %s: %w", cfg.StoreDescription(), err)
		}
		return s, nil
	}
	return nil, &ConfigError{Flag: "store", Env: "RESERVATIONS_STORE", Msg: "unknown store kind " + cfg.StoreKind}
}

// newOrdersWorker builds the order-update worker, which also runs the automatic FULFILLED sweep every minute.
// Without a key it keeps updates queued and warns.
func newOrdersWorker(cfg *Config, core *booking.Core, outbox booking.Outbox, creds *orders.Credentials, reg *prometheus.Registry, log *slog.Logger) (*orders.Worker, error) {
	wc := orders.WorkerConfig{
		Core:       core,
		Store:      outbox,
		Sandbox:    cfg.Sandbox,
		Registerer: reg,
		Logger:     log,
	}
	if creds == nil {
		wc.NoCredentialsReason = "no service-account key (GOOGLE_APPLICATION_CREDENTIALS / --google-application-credentials is not set)"
	} else {
		ts := orders.NewTokenSource(creds, orders.TokenConfig{Registerer: reg})
		client, err := orders.NewClient(orders.ClientConfig{BaseURL: cfg.OrdersAPIURL, TokenSource: ts, Registerer: reg})
		if err != nil {
			return nil, &ConfigError{Flag: "orders-api-url", Env: "RESERVATIONS_ORDERS_API_URL", Msg: err.Error()}
		}
		wc.Client = client
	}
	return orders.NewWorker(wc), nil
}

// newServer builds the HTTP server and mounts every adapter on it:
//
//	POST /fulfillment/dialogflow   behind the webhook basic auth and/or header (open only in --dev)
//	POST /fulfillment/actions-sdk  behind the Actions JWT check (RESERVATIONS_ACTIONS_PROJECT_ID)
//	/v3/...                        Actions Center booking server, behind its basic auth
//	/admin/v1/...                  merchant admin API, behind the admin basic auth
//	/admin/                        the staff page (static; it calls /admin/v1 with the staff's credentials)
func newServer(cfg *Config, core *booking.Core, store booking.Store, inv *booking.Inventory, reg *prometheus.Registry, log *slog.Logger) (*server.Server, error) {
	platform := ""
	if cfg.AppEngine {
		platform = gin.PlatformGoogleAppEngine
	}
	srv, err := server.New(server.Config{
		TrustedPlatform: platform,
		Addr:            cfg.Addr(),
		Logger:          log,
		Registry:        reg,
		Store:           store,
		MaxBodyBytes:    cfg.MaxBodyBytes,
		TrustedProxies:  cfg.TrustedProxies,
		ShutdownTimeout: cfg.ShutdownTimeout,
	})
	if err != nil {
		return nil, &ConfigError{Flag: "trusted-proxies", Env: "RESERVATIONS_TRUSTED_PROXIES", Msg: err.Error()}
	}
	conv, err := conversationMounts(cfg, core, inv, log)
	if err != nil {
		return nil, err
	}
	for _, m := range append(conv, adapterMounts(cfg, core, store, log)...) {
		if err := srv.Mount(m.h, m.patterns...); err != nil {
			return nil, fmt.Errorf("mount the adapters: %w", err)
		}
	}
	return srv, nil
}

// mount is a handler and the ServeMux patterns (with methods) it serves on the engine.
type mount struct {
	h        http.Handler
	patterns []string
}

// conversationMounts returns the Assistant webhooks, which book for the inventory's first merchant.
func conversationMounts(cfg *Config, core *booking.Core, inv *booking.Inventory, log *slog.Logger) ([]mount, error) {
	if len(inv.Merchants) == 0 {
		return nil, &ConfigError{Flag: "inventory", Env: "RESERVATIONS_INVENTORY", Msg: "the inventory has no merchant"}
	}
	app := fulfillment.NewApp(log)
	if err := intents.Register(app, intents.Deps{Core: core, MerchantID: inv.Merchants[0].ID, Logger: log}); err != nil {
		return nil, fmt.Errorf("conversation: %w", err)
	}
	dialogflow := mount{guard(webhookAuth(cfg, log), app.Dialogflow()), []string{"POST /fulfillment/dialogflow"}}
	sdk := mount{patterns: []string{"POST /fulfillment/actions-sdk"}}
	switch {
	case cfg.ActionsProjectID != "":
		sdk.h = app.ActionsSDK(fulfillment.NewVerifier(cfg.ActionsProjectID, fulfillment.NewJWKS("", nil, nil), nil))
	case cfg.Dev:
		log.Warn("WARNING: /fulfillment/actions-sdk accepts requests without a JWT check (--dev without RESERVATIONS_ACTIONS_PROJECT_ID)")
		sdk.h = app.ActionsSDK(nil)
	default:
		log.Info("/fulfillment/actions-sdk is disabled: set RESERVATIONS_ACTIONS_PROJECT_ID to enable it")
		sdk.h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			httperr.Write(w, r, http.StatusServiceUnavailable, httperr.Reason(http.StatusServiceUnavailable),
				"the Actions SDK endpoint is not configured (RESERVATIONS_ACTIONS_PROJECT_ID)")
		})
	}
	return []mount{dialogflow, sdk}, nil
}

// adapterMounts returns the Actions Center booking server, the staff API behind the admin basic auth, and the
// staff page (which holds no data: it asks for the admin credentials and calls /admin/v1 with them).
func adapterMounts(cfg *Config, core *booking.Core, store booking.Store, log *slog.Logger) []mount {
	if len(cfg.BookingServerCredentials) == 0 {
		log.Warn("no booking server credentials (RESERVATIONS_BOOKING_SERVER_CREDENTIALS): /v3 refuses every request")
	}
	bs := actionscenter.New(core, store, actionscenter.Options{
		Credentials:  cfg.BookingServerCredentials,
		MaxBodyBytes: cfg.MaxBodyBytes,
		Logger:       log,
	})
	api := admin.New(core, store).WithLogger(log)
	page := web.New()
	return []mount{
		{bs, bs.Patterns()},
		{guard(adminAuth(cfg, log), api), api.Patterns()},
		{page, page.Patterns()},
	}
}

// guard returns h behind mw, or h itself when mw is nil.
func guard(mw httpauth.Middleware, h http.Handler) http.Handler {
	if mw == nil {
		return h
	}
	return mw(h)
}

// adminAuth returns the basic auth in front of the staff API: the configured credentials, none in --dev
// without them (nil), and otherwise a check that refuses everyone.
func adminAuth(cfg *Config, log *slog.Logger) httpauth.Middleware {
	const realm = "reservations admin"
	switch {
	case len(cfg.AdminCredentials) > 0:
		return httpauth.Basic(realm, cfg.AdminCredentials...)
	case cfg.Dev:
		log.Warn("WARNING: /admin is open without authentication (--dev without RESERVATIONS_ADMIN_CREDENTIALS)")
		return nil
	default:
		log.Warn("no admin credentials (RESERVATIONS_ADMIN_CREDENTIALS): /admin refuses every request")
		return httpauth.Basic(realm)
	}
}

// webhookAuth returns the middleware in front of the Dialogflow webhook: any of the configured basic auth and
// header passes. Only --dev may run without either (parseConfig enforces it): then it returns nil.
func webhookAuth(cfg *Config, log *slog.Logger) httpauth.Middleware {
	var checks []httpauth.Check
	if len(cfg.WebhookBasicAuth) > 0 {
		checks = append(checks, httpauth.BasicCheck("dialogflow webhook", cfg.WebhookBasicAuth...))
	}
	if cfg.WebhookHeader != nil {
		checks = append(checks, httpauth.HeaderCheck(*cfg.WebhookHeader))
	}
	if len(checks) == 0 {
		log.Warn("WARNING: /fulfillment/dialogflow accepts requests without credentials (--dev)")
		return nil
	}
	return httpauth.Any(checks...)
}

// process runs the HTTP server (when serveHTTP is set) and the workers, and shuts them down in order: first
// the HTTP server drains its in-flight requests, then the workers are stopped and waited for, then the store
// is closed.
type process struct {
	log         *slog.Logger
	serveHTTP   func(ctx context.Context) error // returns after draining once ctx is cancelled
	workers     []namedWorker
	store       io.Closer
	stopTimeout time.Duration // how long the workers get to stop
}

// errWorkersStuck is returned when workers did not stop within the stop timeout; the store is then left open.
var errWorkersStuck = errors.New("workers did not stop in time; the store was not closed")

func (p *process) run(ctx context.Context) error {
	// Workers get their own context: they keep running while the HTTP server drains.
	wctx, stopWorkers := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWorkers()
	failed := make(chan error, len(p.workers))
	var wg sync.WaitGroup
	for _, nw := range p.workers {
		wg.Go(func() {
			err := nw.w.Run(wctx)
			switch {
			case err != nil && wctx.Err() == nil:
				failed <- fmt.Errorf("worker %s: %w", nw.name, err)
			case err != nil && !errors.Is(err, context.Canceled):
				p.log.Error("worker stopped with an error", "worker", nw.name, "err", err)
			default:
				p.log.Info("worker stopped", "worker", nw.name)
			}
		})
	}

	var runErr error
	if p.serveHTTP != nil {
		hctx, stopHTTP := context.WithCancel(ctx)
		httpDone := make(chan error, 1)
		go func() { httpDone <- p.serveHTTP(hctx) }()
		select {
		case runErr = <-httpDone:
		case runErr = <-failed:
			stopHTTP()
			if err := <-httpDone; err != nil {
				runErr = errors.Join(runErr, err)
			}
		}
		stopHTTP()
	} else {
		select {
		case <-ctx.Done():
		case runErr = <-failed:
		}
	}
	if runErr == nil && ctx.Err() != nil {
		p.log.Info("shutting down", "cause", context.Cause(ctx).Error())
	}

	stopWorkers()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(p.stopTimeout):
		p.log.Error("workers did not stop in time", "timeout", p.stopTimeout.String())
		return errors.Join(runErr, errWorkersStuck)
	}

	if p.store != nil {
		if err := p.store.Close(); err != nil {
			runErr = errors.Join(runErr, fmt.Errorf("close store: %w", err))
		} else {
			p.log.Info("store closed")
		}
	}
	return runErr
}
