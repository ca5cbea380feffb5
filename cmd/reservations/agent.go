package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/reservations/reservations/intents"
)

// runAgent implements `reservations agent`: it writes the Dialogflow ES agent (embedded in package intents) as a
// zip that the Dialogflow console imports, with the webhook URL and its authentication filled in.
//
//	reservations agent -o agent.zip --webhook-url https://HOST/fulfillment/dialogflow [--basic-auth user:pass] [--header 'Name: value']
//
// --basic-auth and --header default to RESERVATIONS_WEBHOOK_BASIC_AUTH and RESERVATIONS_WEBHOOK_HEADER, the same
// settings `serve` checks, so the exported agent authenticates the way the server expects.
func runAgent(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return agentCommand(ctx, args, os.LookupEnv, stdout, stderr)
}

// agentCommand is runAgent with the environment injected, for tests.
func agentCommand(_ context.Context, args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer) int {
	fs := newSubcommand("agent", "reservations agent -o agent.zip --webhook-url URL [--basic-auth user:pass] [--header 'Name: value']",
		"Writes the Dialogflow ES agent as a zip to import in the Dialogflow console (Settings > Export and Import).", stderr)
	envOr := func(name string) string {
		v, _ := lookupEnv(name)
		return v
	}
	out := fs.String("o", "", "write the agent zip to this file (\"-\" for standard output); required")
	webhookURL := fs.String("webhook-url", "", "the https URL Dialogflow calls: https://HOST/fulfillment/dialogflow; required")
	basicAuth := fs.String("basic-auth", envOr("RESERVATIONS_WEBHOOK_BASIC_AUTH"),
		"user:password Dialogflow sends as HTTP basic auth (env RESERVATIONS_WEBHOOK_BASIC_AUTH; default none)")
	header := fs.String("header", envOr("RESERVATIONS_WEBHOOK_HEADER"),
		"'Name: value' header Dialogflow sends on every call (env RESERVATIONS_WEBHOOK_HEADER; default none)")
	if code, done := fs.parse(args); done {
		return code
	}
	if *out == "" {
		return fs.usage("-o: the output file is required (e.g. -o agent.zip)")
	}
	opts := intents.ExportOptions{WebhookURL: *webhookURL, Headers: map[string]string{}}
	if *webhookURL == "" {
		return fs.usage("--webhook-url: required (e.g. https://example.com/fulfillment/dialogflow)")
	}
	if *basicAuth != "" {
		user, pass, ok := strings.Cut(*basicAuth, ":")
		if !ok || user == "" || pass == "" {
			return fs.usage("--basic-auth (RESERVATIONS_WEBHOOK_BASIC_AUTH): must be user:password with both parts non-empty")
		}
		opts.BasicUser, opts.BasicPassword = user, pass
	}
	if *header != "" {
		name, value, ok := strings.Cut(*header, ":")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || name == "" || value == "" || strings.ContainsAny(name, " \t\r\n") {
			return fs.usage("--header (RESERVATIONS_WEBHOOK_HEADER): must be 'Name: value' with both parts non-empty")
		}
		if opts.BasicUser != "" && strings.EqualFold(name, "Authorization") {
			return fs.usage("--header (RESERVATIONS_WEBHOOK_HEADER): an Authorization header conflicts with --basic-auth; give one of them")
		}
		opts.Headers[name] = value
	}
	var buf bytes.Buffer
	if err := intents.WriteAgentZip(&buf, opts); err != nil {
		return fs.usage("--webhook-url: %v", err)
	}
	if *out == "-" {
		if _, err := stdout.Write(buf.Bytes()); err != nil {
			fmt.Fprintf(stderr, "agent: write: %v\n", err)
			return 1
		}
		return 0
	}
	if err := writeFileAtomic(*out, buf.Bytes()); err != nil {
		fmt.Fprintf(stderr, "agent: -o %s: %v\n", *out, err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes); import it in the Dialogflow console: Settings > Export and Import > Restore from zip\n", *out, buf.Len())
	return 0
}

// writeFileAtomic writes data to a temporary file next to path and renames it into place, readable by its owner
// only (the agent zip holds the webhook's credentials).
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".agent-*.zip")
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("close: %w", err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("chmod: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("rename: %w", err)
	}
	return nil
}
