package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/reservations/reservations/booking/redis"
	"github.com/reservations/reservations/httpauth"
	"github.com/reservations/reservations/logging"
)

// Commands that take settings.
const (
	cmdServe  = "serve"
	cmdWorker = "worker"
)

// Store kinds.
const (
	storeBolt  = "bolt"
	storeRedis = "redis"
)

// Defaults of the settings (the external contract in docs/architecture.md and the README).
const (
	defaultPort            = 8080
	defaultBind            = "0.0.0.0"
	defaultDevBind         = "127.0.0.1"
	defaultStore           = "bolt:data/reservations.db"
	defaultOrdersAPIURL    = "https://actions.googleapis.com"
	defaultLogLevel        = "info"
	defaultMaxBodyBytes    = 1 << 20
	defaultShutdownTimeout = 20 * time.Second
	maxMaxBodyBytes        = 64 << 20
)

// Config is the parsed configuration of one command.
type Config struct {
	Command string

	Port int
	Bind string

	StoreKind string // storeBolt or storeRedis
	BoltPath  string // for storeBolt
	RedisURL  string // for storeRedis: redis[s]://…, redis[s]-cluster://…, redis[s]-sentinel://…; may hold a password, log StoreDescription

	InventoryFile   string // "" = the built-in sample merchant
	OrdersAPIURL    string
	CredentialsFile string // "" = no service-account key: updates stay queued
	Sandbox         bool

	WebhookBasicAuth         []httpauth.Credential
	WebhookHeader            *httpauth.HeaderSecret
	ActionsProjectID         string
	BookingServerCredentials []httpauth.Credential
	AdminCredentials         []httpauth.Credential

	Dev             bool
	Worker          bool // serve only: run the order-update worker in the same process
	LogLevel        slog.Level
	MaxBodyBytes    int64
	ShutdownTimeout time.Duration
	TrustedProxies  []string
	// AppEngine is set when GAE_ENV is: the client IP is then read from App Engine's X-Appengine-Remote-Addr.
	AppEngine bool
}

// Addr is the listen address, host:port.
func (c *Config) Addr() string {
	return net.JoinHostPort(c.Bind, strconv.Itoa(c.Port))
}

// StoreDescription names the store without credentials, for logs.
func (c *Config) StoreDescription() string {
	if c.StoreKind == storeBolt {
		return "bolt:" + c.BoltPath
	}
	u, err := url.Parse(c.RedisURL)
	if err != nil {
		return "redis"
	}
	return u.Redacted()
}

// ConfigError is a bad setting. Its message is one line naming the flag and the environment variable, and never
// contains a secret.
type ConfigError struct {
	Flag, Env string // the setting, when the error is about one
	Msg       string
}

func (e *ConfigError) Error() string {
	// One line, whatever the cause says: joined errors become "; "-separated.
	msg := strings.Join(strings.FieldsFunc(e.Msg, func(r rune) bool { return r == '\n' || r == '\r' }), "; ")
	switch {
	case e.Flag != "" && e.Env != "":
		return fmt.Sprintf("invalid --%s / %s: %s", e.Flag, e.Env, msg)
	case e.Flag != "":
		return fmt.Sprintf("invalid --%s: %s", e.Flag, msg)
	}
	return msg
}

// errHelp is returned by parseConfig for -h/--help; the caller prints the usage and exits 0.
var errHelp = flag.ErrHelp

// setting is one configuration value: a flag, usually an environment variable, and a default.
type setting struct {
	flag    string
	env     string // "" for flag-only settings
	def     string
	defDesc string // how --help shows the default, when it is not def
	arg     string // the value's shape in --help
	usage   string
	secret  bool // never echo the value
	boolean bool
	worker  bool // also a setting of the worker command (every setting is one of serve)
	apply   func(c *Config, v string) error
}

// settings lists every setting in --help order.
var settings = []setting{
	{flag: "port", env: "PORT", def: strconv.Itoa(defaultPort), arg: "N",
		usage: "HTTP listen port (0 picks a free one)",
		apply: func(c *Config, v string) error {
			p, err := strconv.Atoi(v)
			if err != nil || p < 0 || p > 65535 {
				return fmt.Errorf("%q is not a port number (0-65535)", v)
			}
			c.Port = p
			return nil
		}},
	{flag: "bind", env: "RESERVATIONS_BIND", def: defaultBind, defDesc: defaultBind + "; " + defaultDevBind + " with --dev", arg: "IP",
		usage: "address to listen on",
		apply: func(c *Config, v string) error {
			a, err := netip.ParseAddr(v)
			if err != nil || a.Zone() != "" {
				return fmt.Errorf("%q is not an IP address (such as 0.0.0.0, 127.0.0.1 or ::)", v)
			}
			c.Bind = a.String()
			return nil
		}},
	{flag: "store", env: "RESERVATIONS_STORE", def: defaultStore, arg: "URL", worker: true,
		usage: "where bookings are kept: bolt:PATH (embedded file, one process) or redis://[user:pass@]host:port/db, rediss://…, " +
			"redis-cluster://[user:pass@]host:port?addr=host:port&addr=…, rediss-cluster://…, " +
			"redis-sentinel://[user:pass@]host:port?addr=…&master_name=NAME (many instances); wait_replicas=N waits for N replicas per commit",
		apply: applyStore},
	{flag: "inventory", env: "RESERVATIONS_INVENTORY", defDesc: "the built-in sample merchant", arg: "FILE", worker: true,
		usage: "JSON inventory of merchants and services",
		apply: func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			if err := readable(v); err != nil {
				return err
			}
			c.InventoryFile = v
			return nil
		}},
	{flag: "orders-api-url", env: "RESERVATIONS_ORDERS_API_URL", def: defaultOrdersAPIURL, arg: "URL", worker: true,
		usage: "base URL of the Orders API that order updates are sent to",
		apply: func(c *Config, v string) error {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
				return fmt.Errorf("%q is not an http(s)://host[/path] URL", v)
			}
			c.OrdersAPIURL = strings.TrimSuffix(v, "/")
			return nil
		}},
	{flag: "google-application-credentials", env: "GOOGLE_APPLICATION_CREDENTIALS", defDesc: "none: order updates stay queued and a warning is logged", arg: "FILE", worker: true,
		usage: "service-account JSON key for the Orders API",
		apply: func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			if err := readable(v); err != nil {
				return fmt.Errorf("key file %w", err)
			}
			c.CredentialsFile = v
			return nil
		}},
	{flag: "sandbox", env: "RESERVATIONS_SANDBOX", def: "true", arg: "BOOL", boolean: true, worker: true,
		usage: "send order updates as sandbox (test) orders",
		apply: func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%q is not a boolean (true or false)", v)
			}
			c.Sandbox = b
			return nil
		}},
	{flag: "webhook-basic-auth", env: "RESERVATIONS_WEBHOOK_BASIC_AUTH", defDesc: "none", arg: "USER:PASSWORD[,USER2:PASSWORD2]", secret: true,
		usage: "HTTP basic credentials Dialogflow's fulfillment sends",
		apply: credentials(func(c *Config) *[]httpauth.Credential { return &c.WebhookBasicAuth })},
	{flag: "webhook-header", env: "RESERVATIONS_WEBHOOK_HEADER", defDesc: "none", arg: "'NAME: VALUE'", secret: true,
		usage: "header and secret value Dialogflow's fulfillment sends",
		apply: func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			h, err := httpauth.ParseHeader(v)
			if err != nil {
				return err
			}
			c.WebhookHeader = &h
			return nil
		}},
	{flag: "actions-project-id", env: "RESERVATIONS_ACTIONS_PROJECT_ID", defDesc: "none", arg: "ID",
		usage: "Actions project id: the audience of the JWT checked on /fulfillment/actions-sdk",
		apply: func(c *Config, v string) error {
			if strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
				return errors.New("contains spaces or control characters")
			}
			c.ActionsProjectID = v
			return nil
		}},
	{flag: "booking-server-credentials", env: "RESERVATIONS_BOOKING_SERVER_CREDENTIALS", defDesc: "none: /v3 refuses every request", arg: "USER:PASS[,USER2:PASS2]", secret: true,
		usage: "HTTP basic credentials of the Actions Center booking server API (two during rotation)",
		apply: credentials(func(c *Config) *[]httpauth.Credential { return &c.BookingServerCredentials })},
	{flag: "admin-credentials", env: "RESERVATIONS_ADMIN_CREDENTIALS", defDesc: "none: /admin refuses every request (open with --dev)", arg: "USER:PASS[,USER2:PASS2]", secret: true,
		usage: "HTTP basic credentials of the merchant admin API",
		apply: credentials(func(c *Config) *[]httpauth.Credential { return &c.AdminCredentials })},
	{flag: "log-level", env: "RESERVATIONS_LOG_LEVEL", def: defaultLogLevel, arg: "LEVEL", worker: true,
		usage: "debug, info, warn or error",
		apply: func(c *Config, v string) error {
			l, err := logging.ParseLevel(v)
			if err != nil {
				return err
			}
			c.LogLevel = l
			return nil
		}},
	{flag: "max-body-bytes", env: "RESERVATIONS_MAX_BODY_BYTES", def: strconv.Itoa(defaultMaxBodyBytes), defDesc: "1048576 (1 MiB)", arg: "N",
		usage: "largest request body accepted; larger ones get 413 (bytes, or with a KiB or MiB suffix)",
		apply: func(c *Config, v string) error {
			n, err := parseBytes(v)
			if err != nil {
				return err
			}
			c.MaxBodyBytes = n
			return nil
		}},
	{flag: "shutdown-timeout", env: "RESERVATIONS_SHUTDOWN_TIMEOUT", def: defaultShutdownTimeout.String(), arg: "DURATION", worker: true,
		usage: "how long in-flight requests and workers get to finish on SIGTERM",
		apply: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fmt.Errorf("%q is not a positive duration such as 20s or 1m", v)
			}
			c.ShutdownTimeout = d
			return nil
		}},
	{flag: "trusted-proxies", env: "RESERVATIONS_TRUSTED_PROXIES", defDesc: "none: the client IP is the peer address", arg: "CIDR[,CIDR]",
		usage: "IPs or CIDRs of load balancers whose X-Forwarded-For is believed",
		apply: func(c *Config, v string) error {
			c.TrustedProxies = nil
			if v == "" {
				return nil
			}
			for _, p := range strings.Split(v, ",") {
				p = strings.TrimSpace(p)
				if _, err := netip.ParsePrefix(p); err == nil {
					c.TrustedProxies = append(c.TrustedProxies, p)
					continue
				}
				if _, err := netip.ParseAddr(p); err == nil {
					c.TrustedProxies = append(c.TrustedProxies, p)
					continue
				}
				return fmt.Errorf("%q is not an IP address or CIDR", p)
			}
			return nil
		}},
	{flag: "dev", def: "false", arg: "", boolean: true, worker: true,
		usage: "development mode: text logs, bind " + defaultDevBind + " unless RESERVATIONS_BIND or --bind is given, no webhook credentials needed, /admin open when no admin credentials are set",
		apply: func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%q is not a boolean", v)
			}
			c.Dev = b
			return nil
		}},
}

// workerSetting is serve's --worker flag.
var workerSetting = setting{flag: "worker", def: "true", boolean: true,
	usage: "also run the order-update worker in this process (--worker=false for split deployments running 'reservations worker')",
	apply: func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%q is not a boolean", v)
		}
		c.Worker = b
		return nil
	}}

// settingsFor returns the settings of a command, in --help order.
func settingsFor(command string) []setting {
	var out []setting
	for _, s := range settings {
		if command == cmdServe || s.worker {
			out = append(out, s)
		}
	}
	if command == cmdServe {
		out = append(out, workerSetting)
	}
	return out
}

// flagValue records a flag's raw value and whether it was given.
type flagValue struct {
	val     string
	set     bool
	boolean bool
}

func (f *flagValue) String() string     { return f.val }
func (f *flagValue) Set(v string) error { f.val, f.set = v, true; return nil }
func (f *flagValue) IsBoolFlag() bool   { return f.boolean }

// parseConfig reads a command's configuration from its arguments and the environment (looked up with getenv,
// as os.LookupEnv does). A flag overrides its environment variable, which overrides the default; an empty
// environment variable counts as unset. It returns errHelp for -h/--help and a *ConfigError otherwise.
func parseConfig(command string, args []string, getenv func(string) (string, bool)) (*Config, error) {
	list := settingsFor(command)
	fs := flag.NewFlagSet("reservations "+command, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	values := make(map[string]*flagValue, len(list))
	for _, s := range list {
		v := &flagValue{boolean: s.boolean}
		values[s.flag] = v
		fs.Var(v, s.flag, s.usage)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, errHelp
		}
		return nil, &ConfigError{Msg: fmt.Sprintf("%s (see reservations %s --help)", err, command)}
	}
	if fs.NArg() > 0 {
		return nil, &ConfigError{Msg: fmt.Sprintf("unexpected argument %q (see reservations %s --help)", fs.Arg(0), command)}
	}

	c := &Config{Command: command}
	explicit := map[string]bool{}
	for _, s := range list {
		raw, from := s.def, "default"
		if s.env != "" {
			if v, ok := getenv(s.env); ok && v != "" {
				raw, from, explicit[s.flag] = v, "env "+s.env, true
			}
		}
		if fv := values[s.flag]; fv.set {
			raw, from, explicit[s.flag] = fv.val, "flag --"+s.flag, true
		}
		if err := s.apply(c, raw); err != nil {
			msg := err.Error()
			if from != "default" {
				msg += " (from " + from + ")"
			}
			return nil, &ConfigError{Flag: s.flag, Env: s.env, Msg: msg}
		}
	}
	if v, ok := getenv("GAE_ENV"); ok && v != "" {
		c.AppEngine = true
	}
	if command == cmdServe && c.Dev && !explicit["bind"] {
		c.Bind = defaultDevBind
	}
	if command == cmdServe && !c.Dev && len(c.WebhookBasicAuth) == 0 && c.WebhookHeader == nil {
		return nil, &ConfigError{Msg: "no webhook credentials: set --webhook-basic-auth / RESERVATIONS_WEBHOOK_BASIC_AUTH (user:password) " +
			"or --webhook-header / RESERVATIONS_WEBHOOK_HEADER ('Name: value') to what Dialogflow's fulfillment sends, " +
			"or run with --dev for local development"}
	}
	return c, nil
}

// applyStore parses RESERVATIONS_STORE. Errors never echo a redis URL (it may hold a password).
func applyStore(c *Config, v string) error {
	scheme, rest, ok := strings.Cut(v, ":")
	if !ok {
		return errors.New("missing scheme: want bolt:PATH, redis://host:port/db, rediss://host:port/db, redis-cluster://… or redis-sentinel://…")
	}
	if strings.EqualFold(scheme, "bolt") {
		if rest == "" {
			return errors.New("bolt: needs a file path, such as bolt:data/reservations.db")
		}
		c.StoreKind, c.BoltPath = storeBolt, rest
		return nil
	}
	if redis.IsStoreScheme(scheme) {
		if _, err := redis.ParseURL(v); err != nil {
			return fmt.Errorf("not a valid %s:// URL (want %s): %s", scheme, storeURLShape(scheme), redactedErr(err, v))
		}
		c.StoreKind, c.RedisURL = storeRedis, v
		return nil
	}
	if len(scheme) > 16 || strings.ContainsAny(scheme, "@/") {
		return errors.New("unknown store scheme (want " + storeSchemes + ")")
	}
	return fmt.Errorf("unknown store scheme %q (want %s)", scheme, storeSchemes)
}

// storeSchemes names the schemes RESERVATIONS_STORE takes, for the unknown-scheme message.
const storeSchemes = "bolt:, redis://, rediss://, redis-cluster://, rediss-cluster://, redis-sentinel:// or rediss-sentinel://"

// storeURLShape is the shape of a store URL of the given redis scheme, for messages.
func storeURLShape(scheme string) string {
	s := strings.ToLower(scheme)
	switch {
	case strings.HasSuffix(s, "-cluster"):
		return s + "://[user:password@]host:port?addr=host:port&addr=…[&wait_replicas=N]"
	case strings.HasSuffix(s, "-sentinel"):
		return s + "://[user:password@]host:port[/db]?master_name=NAME[&addr=host:port…][&wait_replicas=N]"
	}
	return s + "://[user:password@]host:port/db[?wait_replicas=N]"
}

// redactedErr returns err's text with any part of the secret-bearing value v removed.
func redactedErr(err error, v string) string {
	msg := err.Error()
	if u, perr := url.Parse(v); perr == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			msg = strings.ReplaceAll(msg, p, "xxxxx")
		}
	}
	return msg
}

// readable checks that path names a regular file this process can open.
func readable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s does not exist", path)
		}
		if errors.Is(err, os.ErrPermission) {
			return fmt.Errorf("%s is not readable (permission denied)", path)
		}
		return fmt.Errorf("%s cannot be opened: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("%s cannot be read: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	var b [1]byte
	if _, err := f.Read(b[:]); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s cannot be read: %w", path, err)
	}
	return nil
}

// parseBytes reads a byte count: "1048576", "512KiB", "1MiB".
func parseBytes(v string) (int64, error) {
	s := strings.TrimSpace(v)
	mult := int64(1)
	for suffix, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20} {
		if strings.HasSuffix(s, suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, suffix)), m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > maxMaxBodyBytes/mult {
		return 0, fmt.Errorf("%q is not a size between 1 and %d bytes (a number of bytes, or with a KiB or MiB suffix)", v, maxMaxBodyBytes)
	}
	return n * mult, nil
}

// writeUsage prints a command's --help: every flag with its environment variable and default.
func writeUsage(w io.Writer, command string) {
	fmt.Fprintf(w, "Usage: reservations %s [flags]\n\n%s\n\n", command, commandSummary[command])
	fmt.Fprintln(w, "Flags (a flag overrides its environment variable, which overrides the default;")
	fmt.Fprintln(w, "prefer the environment for credentials, flags are visible to other users of the machine):")
	list := settingsFor(command)
	for _, s := range list {
		name := "--" + s.flag
		if s.arg != "" {
			name += " " + s.arg
		}
		env := "flag only"
		if s.env != "" {
			env = "env " + s.env
		}
		def := s.defDesc
		if def == "" {
			def = s.def
		}
		fmt.Fprintf(w, "\n  %s\n      %s\n      (%s; default %s)\n", name, s.usage, env, def)
	}
}

// commandSummary describes each command in its --help.
var commandSummary = map[string]string{
	cmdServe: "Runs the HTTP server (Dialogflow and Actions SDK webhooks, the Actions Center booking server,\n" +
		"the admin API, /healthz, /readyz, /metrics) and, unless --worker=false, the order-update worker.",
	cmdWorker: "Runs the order-update worker alone (the outbox to the Orders API, and the automatic FULFILLED\n" +
		"sweep), for deployments where 'reservations serve --worker=false' answers HTTP.",
}

// credentials returns the apply function of a `user:pass[,user2:pass2]` setting: it parses the value into the
// field that field points to; an empty value leaves it unset.
func credentials(field func(*Config) *[]httpauth.Credential) func(*Config, string) error {
	return func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		creds, err := httpauth.ParseCredentials(v)
		if err != nil {
			return err
		}
		*field(c) = creds
		return nil
	}
}
