// Command reservations is the one binary of the reservations service.
//
//	reservations serve     the HTTP server (webhooks, booking server, admin API, ops endpoints) and, unless
//	                       --worker=false, the order-update worker, in one process
//	reservations worker    the order-update worker alone, for split deployments
//	reservations version   the version (set with -ldflags "-X main.version=…") and the Go version
//	reservations agent     the Dialogflow ES agent as a zip for the Dialogflow console, webhook URL and auth set
//
// Every setting is a flag and (except --dev and --worker) an environment variable; "reservations serve --help"
// lists them with their defaults. A bad setting stops start-up with one line naming it and exit status 2.
// Without a command, under App Engine (GAE_ENV set) the binary runs serve, since App Engine starts it without
// arguments.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/gin-gonic/gin"

	"github.com/reservations/reservations/logging"
)

// version is set at build time: go build -ldflags "-X main.version=v1.2.3".
var version = "dev"

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1 // the service could not start or stopped with an error
	exitUsage   = 2 // bad command line or configuration
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := realMain(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// realMain runs the command in args until ctx is cancelled (SIGINT or SIGTERM in main) and returns the exit
// status. Logs go to stdout; usage errors and the one-line configuration errors go to stderr.
func realMain(ctx context.Context, args []string, getenv func(string) (string, bool), stdout, stderr io.Writer) int {
	if len(args) == 0 {
		if v, ok := getenv("GAE_ENV"); ok && v != "" {
			args = []string{cmdServe}
		} else {
			writeTopUsage(stderr)
			return exitUsage
		}
	}
	command := args[0]
	switch command {
	case "version", "-version", "--version":
		return runVersion(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		writeTopUsage(stdout)
		return exitOK
	case "agent":
		return runAgent(ctx, args[1:], stdout, stderr)
	case "check-booking-server":
		return runCheckBookingServer(ctx, args[1:], stdout, stderr)
	case "feeds":
		return runFeeds(ctx, args[1:], stdout, stderr)
	case cmdServe, cmdWorker:
	default:
		fmt.Fprintf(stderr, "reservations: unknown command %q (want serve, worker, agent, check-booking-server, feeds or version; see reservations --help)\n", command)
		return exitUsage
	}

	cfg, err := parseConfig(command, args[1:], getenv)
	if errors.Is(err, errHelp) {
		writeUsage(stdout, command)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "reservations %s: %v\n", command, err)
		return exitUsage
	}

	gin.SetMode(gin.ReleaseMode)
	log := logging.New(stdout, logging.Options{Level: cfg.LogLevel, Text: cfg.Dev})
	err = run(ctx, cfg, log)
	var ce *ConfigError
	switch {
	case errors.As(err, &ce):
		fmt.Fprintf(stderr, "reservations %s: %v\n", command, ce)
		return exitUsage
	case err != nil:
		log.Error("reservations stopped with an error", "command", command, "err", err)
		return exitFailure
	}
	return exitOK
}

func runVersion(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
			fmt.Fprintln(stdout, "Usage: reservations version\n\nPrints the version of the binary and the Go version it was built with. It takes no flags.")
			return exitOK
		}
		fmt.Fprintf(stderr, "reservations version: unexpected argument %q (version takes no flags)\n", args[0])
		return exitUsage
	}
	fmt.Fprintf(stdout, "reservations %s %s %s/%s\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}

func writeTopUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: reservations <command> [flags]

Commands:
  serve     run the HTTP server and, unless --worker=false, the order-update worker
  worker    run the order-update worker alone (split deployments)
  version   print the version
  agent     write the Dialogflow agent as a zip to import in the Dialogflow console
  check-booking-server  check an Actions Center booking server (conformance checks)
  feeds     write the Actions Center merchant, service and availability feeds

Run "reservations <command> --help" for the flags of a command, each with its environment variable and default.
`)
}

// devWarning is logged at start-up in --dev.
func devWarning(log *slog.Logger, cfg *Config) {
	log.Warn("WARNING: DEVELOPMENT MODE (--dev): not for production. Webhook credentials are optional, " +
		"/admin is open when no admin credentials are set, the Actions SDK JWT check is off without a project id, " +
		"and the server binds " + cfg.Bind + " unless --bind or RESERVATIONS_BIND says otherwise")
}
