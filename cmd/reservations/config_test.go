package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/redis/redistest"
)

// env returns a getenv func over a map, as os.LookupEnv.
func env(kv ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// creds are webhook credentials, so that serve starts without --dev.
var creds = []string{"RESERVATIONS_WEBHOOK_BASIC_AUTH", "dialogflow:pw"}

func withCreds(kv ...string) func(string) (string, bool) {
	return env(append(append([]string{}, creds...), kv...)...)
}

func TestDefaults(t *testing.T) {
	c, err := parseConfig(cmdServe, nil, withCreds())
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Command:          cmdServe,
		Port:             8080,
		Bind:             "0.0.0.0",
		StoreKind:        storeBolt,
		BoltPath:         "data/reservations.db",
		OrdersAPIURL:     "https://actions.googleapis.com",
		Sandbox:          true,
		WebhookBasicAuth: c.WebhookBasicAuth,
		Worker:           true,
		LogLevel:         slog.LevelInfo,
		MaxBodyBytes:     1 << 20,
		ShutdownTimeout:  20 * time.Second,
	}
	if !reflect.DeepEqual(*c, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", *c, want)
	}
	if c.Addr() != "0.0.0.0:8080" {
		t.Errorf("Addr = %q", c.Addr())
	}
	if len(c.WebhookBasicAuth) != 1 || c.WebhookBasicAuth[0].User != "dialogflow" || c.WebhookBasicAuth[0].Password != "pw" {
		t.Errorf("webhook credentials not parsed")
	}
}

func TestPrecedence(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		env   []string
		check func(*Config) any
		want  any
	}{
		{"port default", nil, nil, func(c *Config) any { return c.Port }, 8080},
		{"port env", nil, []string{"PORT", "9000"}, func(c *Config) any { return c.Port }, 9000},
		{"port flag over env", []string{"--port", "9100"}, []string{"PORT", "9000"}, func(c *Config) any { return c.Port }, 9100},
		{"port single-dash flag", []string{"-port=9200"}, nil, func(c *Config) any { return c.Port }, 9200},
		{"empty env is unset", nil, []string{"PORT", ""}, func(c *Config) any { return c.Port }, 8080},
		{"store env redis", nil, []string{"RESERVATIONS_STORE", "redis://127.0.0.1:6379/3"},
			func(c *Config) any { return c.StoreKind + " " + c.RedisURL }, "redis redis://127.0.0.1:6379/3"},
		{"store flag over env", []string{"--store=bolt:/tmp/x.db"}, []string{"RESERVATIONS_STORE", "redis://h:1/0"},
			func(c *Config) any { return c.StoreKind + " " + c.BoltPath }, "bolt /tmp/x.db"},
		{"rediss", nil, []string{"RESERVATIONS_STORE", "rediss://u:p@cache.internal:6380/1"},
			func(c *Config) any { return c.StoreKind }, storeRedis},
		{"redis wait_replicas", nil, []string{"RESERVATIONS_STORE", "redis://h:6379/0?wait_replicas=1"},
			func(c *Config) any { return c.StoreKind }, storeRedis},
		{"redis-cluster", nil, []string{"RESERVATIONS_STORE", "redis-cluster://u:p@n1:7000?addr=n2:7001&addr=n3:7002&wait_replicas=1"},
			func(c *Config) any { return c.StoreKind + " " + c.RedisURL }, "redis redis-cluster://u:p@n1:7000?addr=n2:7001&addr=n3:7002&wait_replicas=1"},
		{"rediss-cluster with go-redis options", nil, []string{"RESERVATIONS_STORE", "rediss-cluster://n1:7000?read_only=true&max_redirects=2"},
			func(c *Config) any { return c.StoreKind }, storeRedis},
		{"redis-sentinel", nil, []string{"RESERVATIONS_STORE", "redis-sentinel://u:p@s1:26379/2?addr=s2:26379&master_name=main&pool_size=8"},
			func(c *Config) any { return c.StoreKind }, storeRedis},
		{"sandbox env false", nil, []string{"RESERVATIONS_SANDBOX", "false"}, func(c *Config) any { return c.Sandbox }, false},
		{"sandbox bare flag over env", []string{"--sandbox"}, []string{"RESERVATIONS_SANDBOX", "false"}, func(c *Config) any { return c.Sandbox }, true},
		{"sandbox flag=false", []string{"--sandbox=false"}, nil, func(c *Config) any { return c.Sandbox }, false},
		{"worker default on", nil, nil, func(c *Config) any { return c.Worker }, true},
		{"worker off", []string{"--worker=false"}, nil, func(c *Config) any { return c.Worker }, false},
		{"log level env", nil, []string{"RESERVATIONS_LOG_LEVEL", "DEBUG"}, func(c *Config) any { return c.LogLevel }, slog.LevelDebug},
		{"log level flag over env", []string{"--log-level", "error"}, []string{"RESERVATIONS_LOG_LEVEL", "debug"}, func(c *Config) any { return c.LogLevel }, slog.LevelError},
		{"max body env MiB", nil, []string{"RESERVATIONS_MAX_BODY_BYTES", "2MiB"}, func(c *Config) any { return c.MaxBodyBytes }, int64(2 << 20)},
		{"max body flag KiB", []string{"--max-body-bytes=64KiB"}, nil, func(c *Config) any { return c.MaxBodyBytes }, int64(64 << 10)},
		{"max body bytes", nil, []string{"RESERVATIONS_MAX_BODY_BYTES", "5000"}, func(c *Config) any { return c.MaxBodyBytes }, int64(5000)},
		{"shutdown timeout env", nil, []string{"RESERVATIONS_SHUTDOWN_TIMEOUT", "45s"}, func(c *Config) any { return c.ShutdownTimeout }, 45 * time.Second},
		{"shutdown timeout flag", []string{"--shutdown-timeout=1m"}, []string{"RESERVATIONS_SHUTDOWN_TIMEOUT", "45s"}, func(c *Config) any { return c.ShutdownTimeout }, time.Minute},
		{"trusted proxies", nil, []string{"RESERVATIONS_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.1,::1"},
			func(c *Config) any { return c.TrustedProxies }, []string{"10.0.0.0/8", "192.0.2.1", "::1"}},
		{"orders URL trailing slash trimmed", nil, []string{"RESERVATIONS_ORDERS_API_URL", "http://127.0.0.1:9999/"},
			func(c *Config) any { return c.OrdersAPIURL }, "http://127.0.0.1:9999"},
		{"project id", []string{"--actions-project-id", "my-project"}, nil, func(c *Config) any { return c.ActionsProjectID }, "my-project"},
		{"booking server rotation", nil, []string{"RESERVATIONS_BOOKING_SERVER_CREDENTIALS", "g:one,g:two"},
			func(c *Config) any { return len(c.BookingServerCredentials) }, 2},
		{"admin flag over env", []string{"--admin-credentials=a:flag"}, []string{"RESERVATIONS_ADMIN_CREDENTIALS", "a:env"},
			func(c *Config) any { return c.AdminCredentials[0].Password }, "flag"},
		{"bind default", nil, nil, func(c *Config) any { return c.Bind }, "0.0.0.0"},
		{"bind env", nil, []string{"RESERVATIONS_BIND", "127.0.0.2"}, func(c *Config) any { return c.Bind }, "127.0.0.2"},
		{"bind ipv6", []string{"--bind", "::"}, nil, func(c *Config) any { return c.Addr() }, "[::]:8080"},
		{"dev binds loopback", []string{"--dev"}, nil, func(c *Config) any { return c.Bind }, "127.0.0.1"},
		{"dev keeps explicit env bind", []string{"--dev"}, []string{"RESERVATIONS_BIND", "0.0.0.0"}, func(c *Config) any { return c.Bind }, "0.0.0.0"},
		{"dev keeps explicit flag bind", []string{"--dev", "--bind=10.1.1.1"}, nil, func(c *Config) any { return c.Bind }, "10.1.1.1"},
		{"App Engine", nil, []string{"GAE_ENV", "standard"}, func(c *Config) any { return c.AppEngine }, true},
		{"not App Engine", nil, nil, func(c *Config) any { return c.AppEngine }, false},
		{"webhook header", nil, []string{"RESERVATIONS_WEBHOOK_HEADER", "x-hook: v1"},
			func(c *Config) any { return c.WebhookHeader.Name + "=" + c.WebhookHeader.Value }, "X-Hook=v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig(cmdServe, tt.args, withCreds(tt.env...))
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.check(c); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDevNeedsNoWebhookCredentials(t *testing.T) {
	c, err := parseConfig(cmdServe, []string{"--dev"}, env())
	if err != nil {
		t.Fatal(err)
	}
	if !c.Dev || c.WebhookHeader != nil || c.WebhookBasicAuth != nil {
		t.Errorf("dev config = %+v", c)
	}
	for _, e := range []func(string) (string, bool){
		env("RESERVATIONS_WEBHOOK_HEADER", "X-Secret: s"),
		env("RESERVATIONS_WEBHOOK_BASIC_AUTH", "u:p"),
	} {
		if _, err := parseConfig(cmdServe, nil, e); err != nil {
			t.Errorf("one kind of webhook credential should be enough: %v", err)
		}
	}
}

func TestWorkerCommandSettings(t *testing.T) {
	c, err := parseConfig(cmdWorker, []string{"--store", "redis://127.0.0.1:6379/2", "--sandbox=false"}, env())
	if err != nil {
		t.Fatalf("worker needs no webhook credentials: %v", err)
	}
	if c.StoreKind != storeRedis || c.Sandbox {
		t.Errorf("worker config = %+v", c)
	}
	// Serve-only settings are not flags of worker, and their environment variables are ignored.
	if _, err := parseConfig(cmdWorker, []string{"--port", "1"}, env()); err == nil || !strings.Contains(err.Error(), "flag provided but not defined: -port") {
		t.Errorf("worker --port: %v", err)
	}
	if _, err := parseConfig(cmdWorker, nil, env("PORT", "not-a-port")); err != nil {
		t.Errorf("worker should ignore PORT: %v", err)
	}
}

func writeFile(t *testing.T, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestStartupErrors covers every setting's bad values: one line naming the flag and the environment
// variable, never echoing a secret.
func TestStartupErrors(t *testing.T) {
	dir := t.TempDir()
	unreadable := writeFile(t, "key.json", `{}`, 0o000)
	if f, err := os.Open(unreadable); err == nil {
		f.Close()
		unreadable = "" // running as a user who can read anything (root): covered by the missing file case
	}
	tests := []struct {
		name    string
		command string
		args    []string
		env     []string
		want    []string // substrings of the message
	}{
		{"port not a number", cmdServe, nil, []string{"PORT", "80a"}, []string{"--port / PORT", `"80a"`, "from env PORT"}},
		{"port out of range", cmdServe, []string{"--port", "70000"}, nil, []string{"--port / PORT", "from flag --port"}},
		{"port negative", cmdServe, []string{"--port=-1"}, nil, []string{"--port / PORT"}},
		{"bind not an IP", cmdServe, nil, []string{"RESERVATIONS_BIND", "example.com"}, []string{"--bind / RESERVATIONS_BIND", "not an IP"}},
		{"unknown store scheme", cmdServe, nil, []string{"RESERVATIONS_STORE", "postgres://db/x"}, []string{"--store / RESERVATIONS_STORE", `unknown store scheme "postgres"`}},
		{"store without scheme", cmdServe, []string{"--store", "data.db"}, nil, []string{"--store / RESERVATIONS_STORE", "missing scheme"}},
		{"bolt without path", cmdServe, []string{"--store", "bolt:"}, nil, []string{"--store / RESERVATIONS_STORE", "needs a file path"}},
		{"redis bad db", cmdWorker, nil, []string{"RESERVATIONS_STORE", "redis://u:hunter2@h:6379/notadb"}, []string{"--store / RESERVATIONS_STORE", "redis://"}},
		{"redis bad port", cmdServe, nil, []string{"RESERVATIONS_STORE", "redis://u:hunter2@h:port/0"}, []string{"--store / RESERVATIONS_STORE"}},
		{"wait_replicas not a number", cmdServe, nil, []string{"RESERVATIONS_STORE", "redis://u:hunter2@h:6379/0?wait_replicas=all"},
			[]string{"--store / RESERVATIONS_STORE", `wait_replicas="all"`}},
		{"wait_replicas negative", cmdWorker, nil, []string{"RESERVATIONS_STORE", "redis-cluster://u:hunter2@h:7000?wait_replicas=-1"},
			[]string{"--store / RESERVATIONS_STORE", "wait_replicas"}},
		{"cluster bad addr", cmdServe, nil, []string{"RESERVATIONS_STORE", "redis-cluster://u:hunter2@h:7000?addr=nohost"},
			[]string{"--store / RESERVATIONS_STORE", "redis-cluster://", "addr"}},
		{"cluster unknown option", cmdServe, nil, []string{"RESERVATIONS_STORE", "rediss-cluster://u:hunter2@h:7000?colour=red"},
			[]string{"--store / RESERVATIONS_STORE", "unexpected option: colour"}},
		{"sentinel without master_name", cmdServe, nil, []string{"RESERVATIONS_STORE", "redis-sentinel://u:hunter2@s1:26379?addr=s2:26379"},
			[]string{"--store / RESERVATIONS_STORE", "master_name"}},
		{"sentinel bad addr", cmdWorker, nil, []string{"RESERVATIONS_STORE", "redis-sentinel://s1:26379?master_name=m&addr=:1"},
			[]string{"--store / RESERVATIONS_STORE", `addr=":1"`}},
		{"inventory missing", cmdServe, []string{"--inventory", filepath.Join(dir, "nope.json")}, nil, []string{"--inventory / RESERVATIONS_INVENTORY", "does not exist"}},
		{"inventory is a directory", cmdWorker, nil, []string{"RESERVATIONS_INVENTORY", dir}, []string{"--inventory / RESERVATIONS_INVENTORY", "is not a regular file"}},
		{"orders URL not http", cmdServe, nil, []string{"RESERVATIONS_ORDERS_API_URL", "ftp://x"}, []string{"--orders-api-url / RESERVATIONS_ORDERS_API_URL"}},
		{"orders URL relative", cmdWorker, []string{"--orders-api-url", "/v3"}, nil, []string{"--orders-api-url / RESERVATIONS_ORDERS_API_URL"}},
		{"key file missing", cmdServe, nil, []string{"GOOGLE_APPLICATION_CREDENTIALS", filepath.Join(dir, "key.json")},
			[]string{"--google-application-credentials / GOOGLE_APPLICATION_CREDENTIALS", "does not exist"}},
		{"key file unreadable", cmdWorker, nil, []string{"GOOGLE_APPLICATION_CREDENTIALS", unreadable},
			[]string{"--google-application-credentials / GOOGLE_APPLICATION_CREDENTIALS", "not readable"}},
		{"sandbox not a bool", cmdServe, nil, []string{"RESERVATIONS_SANDBOX", "yes please"}, []string{"--sandbox / RESERVATIONS_SANDBOX"}},
		{"basic auth without colon", cmdServe, nil, []string{"RESERVATIONS_WEBHOOK_BASIC_AUTH", "dialogflowhunter2"},
			[]string{"--webhook-basic-auth / RESERVATIONS_WEBHOOK_BASIC_AUTH", "missing ':'"}},
		{"basic auth empty password", cmdServe, []string{"--webhook-basic-auth", "dialogflow:"}, nil,
			[]string{"--webhook-basic-auth / RESERVATIONS_WEBHOOK_BASIC_AUTH", "empty password"}},
		{"header without colon", cmdServe, nil, []string{"RESERVATIONS_WEBHOOK_HEADER", "X-Secret hunter2"},
			[]string{"--webhook-header / RESERVATIONS_WEBHOOK_HEADER", "missing ':'"}},
		{"header empty value", cmdServe, nil, []string{"RESERVATIONS_WEBHOOK_HEADER", "X-Secret:"},
			[]string{"--webhook-header / RESERVATIONS_WEBHOOK_HEADER", "empty value"}},
		{"project id with space", cmdServe, nil, []string{"RESERVATIONS_ACTIONS_PROJECT_ID", "my project"}, []string{"--actions-project-id / RESERVATIONS_ACTIONS_PROJECT_ID"}},
		{"booking server creds malformed", cmdServe, nil, []string{"RESERVATIONS_BOOKING_SERVER_CREDENTIALS", "g:hunter2,broken"},
			[]string{"--booking-server-credentials / RESERVATIONS_BOOKING_SERVER_CREDENTIALS", "pair 2 of 2"}},
		{"admin creds malformed", cmdServe, []string{"--admin-credentials", ":hunter2"}, nil,
			[]string{"--admin-credentials / RESERVATIONS_ADMIN_CREDENTIALS", "empty user"}},
		{"log level", cmdWorker, nil, []string{"RESERVATIONS_LOG_LEVEL", "verbose"}, []string{"--log-level / RESERVATIONS_LOG_LEVEL", `"verbose"`}},
		{"max body zero", cmdServe, nil, []string{"RESERVATIONS_MAX_BODY_BYTES", "0"}, []string{"--max-body-bytes / RESERVATIONS_MAX_BODY_BYTES"}},
		{"max body too big", cmdServe, []string{"--max-body-bytes", "1024MiB"}, nil, []string{"--max-body-bytes / RESERVATIONS_MAX_BODY_BYTES"}},
		{"max body garbage", cmdServe, nil, []string{"RESERVATIONS_MAX_BODY_BYTES", "1 MB"}, []string{"--max-body-bytes / RESERVATIONS_MAX_BODY_BYTES"}},
		{"shutdown timeout", cmdServe, nil, []string{"RESERVATIONS_SHUTDOWN_TIMEOUT", "20"}, []string{"--shutdown-timeout / RESERVATIONS_SHUTDOWN_TIMEOUT"}},
		{"shutdown timeout negative", cmdWorker, []string{"--shutdown-timeout=-5s"}, nil, []string{"--shutdown-timeout / RESERVATIONS_SHUTDOWN_TIMEOUT"}},
		{"trusted proxy", cmdServe, nil, []string{"RESERVATIONS_TRUSTED_PROXIES", "10.0.0.0/8,lb.internal"}, []string{"--trusted-proxies / RESERVATIONS_TRUSTED_PROXIES", `"lb.internal"`}},
		{"dev not a bool", cmdServe, []string{"--dev=maybe"}, nil, []string{"invalid --dev:", "not a boolean"}},
		{"unknown flag", cmdServe, []string{"--colour"}, nil, []string{"flag provided but not defined: -colour", "reservations serve --help"}},
		{"stray argument", cmdServe, []string{"now"}, nil, []string{`unexpected argument "now"`}},
		{"no webhook credentials", cmdServe, nil, nil, []string{"no webhook credentials", "--webhook-basic-auth / RESERVATIONS_WEBHOOK_BASIC_AUTH",
			"--webhook-header / RESERVATIONS_WEBHOOK_HEADER", "--dev"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "key file unreadable" && unreadable == "" {
				t.Skip("every file is readable to this user")
			}
			e := tt.env
			if tt.name != "no webhook credentials" {
				e = append(append([]string{}, creds...), e...)
			}
			_, err := parseConfig(tt.command, tt.args, env(e...))
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *ConfigError", err)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("message is not one line: %q", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
			if strings.Contains(msg, "hunter2") {
				t.Errorf("message %q echoes a secret", msg)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	for _, cmd := range []string{cmdServe, cmdWorker} {
		for _, arg := range []string{"-h", "--help", "-help"} {
			if _, err := parseConfig(cmd, []string{arg}, env()); !errors.Is(err, errHelp) {
				t.Errorf("%s %s: err = %v, want errHelp", cmd, arg, err)
			}
		}
	}
	var buf bytes.Buffer
	writeUsage(&buf, cmdServe)
	out := buf.String()
	for _, s := range settingsFor(cmdServe) {
		if !strings.Contains(out, "--"+s.flag) {
			t.Errorf("serve --help lacks --%s", s.flag)
		}
		if s.env != "" && !strings.Contains(out, "env "+s.env+"; default ") {
			t.Errorf("serve --help lacks the env and default of --%s", s.flag)
		}
	}
	for _, want := range []string{"default 8080", "default bolt:data/reservations.db", "default 0.0.0.0; 127.0.0.1 with --dev",
		"default https://actions.googleapis.com", "default true", "default info", "default 1048576 (1 MiB)", "default 20s",
		"--worker", "flag only", "env GOOGLE_APPLICATION_CREDENTIALS"} {
		if !strings.Contains(out, want) {
			t.Errorf("serve --help lacks %q", want)
		}
	}
	buf.Reset()
	writeUsage(&buf, cmdWorker)
	if strings.Contains(buf.String(), "--port") || strings.Contains(buf.String(), "  --worker\n") || !strings.Contains(buf.String(), "  --store URL\n") {
		t.Errorf("worker --help lists the wrong flags:\n%s", buf.String())
	}
}

func TestStoreDescriptionHidesPassword(t *testing.T) {
	for _, u := range []string{"redis://app:hunter2@cache:6379/0", "redis-cluster://app:hunter2@cache:6379?addr=n2:7000",
		"redis-sentinel://app:hunter2@cache:6379?master_name=m"} {
		c, err := parseConfig(cmdWorker, nil, env("RESERVATIONS_STORE", u))
		if err != nil {
			t.Fatal(err)
		}
		if d := c.StoreDescription(); strings.Contains(d, "hunter2") || !strings.Contains(d, "cache:6379") {
			t.Errorf("StoreDescription = %q", d)
		}
	}
}

// TestRealMainExitStatus runs the command line in-process: exit status and the single stderr line.
func TestRealMainExitStatus(t *testing.T) {
	badInventory := writeFile(t, "inv.json", `{"merchants":[{"id":"x"}]}`, 0o600)
	notAKey := writeFile(t, "key.json", `{"type":"authorized_user"}`, 0o600)
	tests := []struct {
		name       string
		args       []string
		env        []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"no command", nil, nil, 2, "", "Usage: reservations <command>"},
		{"unknown command", []string{"start"}, nil, 2, "", `reservations: unknown command "start"`},
		{"help", []string{"--help"}, nil, 0, "Usage: reservations <command>", ""},
		{"serve help", []string{"serve", "--help"}, nil, 0, "env RESERVATIONS_WEBHOOK_BASIC_AUTH", ""},
		{"worker help", []string{"worker", "-h"}, nil, 0, "Usage: reservations worker", ""},
		{"version", []string{"version"}, nil, 0, "reservations dev go1.", ""},
		{"version help", []string{"version", "--help"}, nil, 0, "takes no flags", ""},
		{"version extra", []string{"version", "--short"}, nil, 2, "", "unexpected argument"},
		{"bad port", []string{"serve"}, []string{"PORT", "eighty"}, 2, "", "reservations serve: invalid --port / PORT:"},
		{"no webhook credentials", []string{"serve"}, nil, 2, "", "reservations serve: no webhook credentials"},
		{"inventory does not validate", []string{"worker"}, []string{"RESERVATIONS_INVENTORY", badInventory}, 2, "",
			"reservations worker: invalid --inventory / RESERVATIONS_INVENTORY: "},
		{"key is not a service-account key", []string{"worker", "--google-application-credentials", notAKey}, nil, 2, "",
			"reservations worker: invalid --google-application-credentials / GOOGLE_APPLICATION_CREDENTIALS: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := realMain(context.Background(), tt.args, env(tt.env...), &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit status = %d, want %d (stderr %q)", code, tt.wantCode, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("stdout %q lacks %q", stdout.String(), tt.wantStdout)
			}
			if tt.wantStderr == "" && stderr.Len() > 0 {
				t.Errorf("unexpected stderr %q", stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tt.wantStderr)
			}
			if tt.wantCode == 2 && tt.args != nil && strings.Count(strings.TrimSpace(stderr.String()), "\n") > 0 {
				t.Errorf("stderr is more than one line: %q", stderr.String())
			}
		})
	}
}

func TestAppEngineRunsServeWithoutArguments(t *testing.T) {
	var stdout, stderr bytes.Buffer
	// GAE_ENV set and no credentials: serve is chosen and refuses to start for want of webhook credentials.
	code := realMain(context.Background(), nil, env("GAE_ENV", "standard"), &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "reservations serve: no webhook credentials") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

// TestOpenStoreOnRealCluster opens RESERVATIONS_STORE=redis-cluster://…&wait_replicas=1 on a real 3+3 Redis Cluster
// the way the commands do (parseConfig, then openStore) and books through the core on it.
func TestOpenStoreOnRealCluster(t *testing.T) {
	rc := redistest.StartCluster(t)
	cfg, err := parseConfig(cmdWorker, nil, env("RESERVATIONS_STORE", rc.URL("wait_replicas=1")))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := openStore(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	svc, err := booking.NewService(booking.Config{Store: st, Inventory: booking.SampleInventory()})
	if err != nil {
		t.Fatal(err)
	}
	from := time.Now().Add(48 * time.Hour)
	slots, err := svc.Availability(ctx, booking.AvailabilityQuery{MerchantID: booking.SampleMerchantID, ServiceID: "dinner",
		PartySize: 2, From: from, To: from.Add(7 * 24 * time.Hour)})
	if err != nil || len(slots) == 0 {
		t.Fatalf("availability on the cluster: %d slots, %v", len(slots), err)
	}
	b, err := svc.CreateBooking(ctx, booking.CreateRequest{MerchantID: booking.SampleMerchantID, ServiceID: "dinner",
		Start: slots[0].Start, PartySize: 2, Customer: booking.Customer{Name: "Ada", UserID: "u1"}, Source: booking.SourceAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := st.Booking(ctx, b.ID); err != nil || got.ID != b.ID {
		t.Fatalf("booking read back from the cluster: %+v %v", got, err)
	}
}
