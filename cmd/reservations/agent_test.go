package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAgentCommand(t *testing.T) {
	dir := t.TempDir()
	const url = "https://bistro.example.com/fulfillment/dialogflow"
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("df:pw"))
	tests := []struct {
		name        string
		args        []string
		env         map[string]string
		wantCode    int
		wantStderr  string
		wantHeaders map[string]string
	}{
		{name: "no output", args: []string{"--webhook-url", url}, wantCode: 2, wantStderr: "-o: the output file is required"},
		{name: "no url", args: []string{"-o", "x.zip"}, wantCode: 2, wantStderr: "--webhook-url: required"},
		{name: "plain http", args: []string{"-o", "x.zip", "--webhook-url", "http://bistro.example.com/x"}, wantCode: 2, wantStderr: "must be an absolute https URL"},
		{name: "bad basic auth", args: []string{"-o", "x.zip", "--webhook-url", url, "--basic-auth", "nopassword"}, wantCode: 2, wantStderr: "--basic-auth (RESERVATIONS_WEBHOOK_BASIC_AUTH): must be user:password"},
		{name: "bad header", args: []string{"-o", "x.zip", "--webhook-url", url, "--header", "novalue"}, wantCode: 2, wantStderr: "--header (RESERVATIONS_WEBHOOK_HEADER)"},
		{name: "authorization twice", args: []string{"-o", "x.zip", "--webhook-url", url, "--basic-auth", "df:pw", "--header", "Authorization: Bearer x"}, wantCode: 2, wantStderr: "conflicts with --basic-auth"},
		{name: "stray argument", args: []string{"-o", "x.zip", "--webhook-url", url, "extra"}, wantCode: 2, wantStderr: `unexpected argument "extra"`},
		{name: "unknown flag", args: []string{"--nope"}, wantCode: 2, wantStderr: "flag provided but not defined"},
		{name: "help", args: []string{"--help"}, wantCode: 0, wantStderr: "Usage: reservations agent"},
		{
			name:        "basic auth flag",
			args:        []string{"-o", filepath.Join(dir, "a.zip"), "--webhook-url", url, "--basic-auth", "df:pw"},
			wantHeaders: map[string]string{"Authorization": basic},
		},
		{
			name:        "settings from the environment",
			args:        []string{"-o", filepath.Join(dir, "b.zip"), "--webhook-url", url},
			env:         map[string]string{"RESERVATIONS_WEBHOOK_BASIC_AUTH": "df:pw", "RESERVATIONS_WEBHOOK_HEADER": "X-Webhook-Key: k1"},
			wantHeaders: map[string]string{"Authorization": basic, "X-Webhook-Key": "k1"},
		},
		{
			name:        "stdout",
			args:        []string{"-o", "-", "--webhook-url", url, "--header", "X-Webhook-Key: k2"},
			wantHeaders: map[string]string{"X-Webhook-Key": "k2"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			lookup := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
			code := agentCommand(context.Background(), tc.args, lookup, &stdout, &stderr)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.wantCode, stderr.String())
			}
			if tc.wantStderr != "" && !strings.Contains(stderr.String(), tc.wantStderr) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tc.wantStderr)
			}
			if tc.wantCode != 0 || tc.wantHeaders == nil {
				return
			}
			var data []byte
			if out := tc.args[1]; out == "-" {
				data = stdout.Bytes()
			} else {
				var err error
				if data, err = os.ReadFile(out); err != nil {
					t.Fatal(err)
				}
				// The zip holds the webhook's credentials: only its owner may read it.
				fi, err := os.Stat(out)
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode().Perm() != 0o600 {
					t.Errorf("%s: mode %v, want 0600", out, fi.Mode().Perm())
				}
			}
			zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatalf("not a zip: %v", err)
			}
			var agent struct {
				Webhook struct {
					URL     string            `json:"url"`
					Headers map[string]string `json:"headers"`
				} `json:"webhook"`
			}
			found := false
			for _, f := range zr.File {
				if f.Name != "agent.json" {
					continue
				}
				found = true
				rc, _ := f.Open()
				raw, _ := io.ReadAll(rc)
				rc.Close()
				if err := json.Unmarshal(raw, &agent); err != nil {
					t.Fatal(err)
				}
			}
			if !found {
				t.Fatal("zip has no agent.json")
			}
			if agent.Webhook.URL != url {
				t.Errorf("webhook url %q", agent.Webhook.URL)
			}
			if len(agent.Webhook.Headers) != len(tc.wantHeaders) {
				t.Errorf("headers %v, want %v", agent.Webhook.Headers, tc.wantHeaders)
			}
			for k, v := range tc.wantHeaders {
				if agent.Webhook.Headers[k] != v {
					t.Errorf("header %s = %q, want %q", k, agent.Webhook.Headers[k], v)
				}
			}
		})
	}
}

func TestAgentSubcommandIsWired(t *testing.T) {
	var stdout, stderr bytes.Buffer
	out := filepath.Join(t.TempDir(), "agent.zip")
	code := realMain(context.Background(), []string{"agent", "-o", out, "--webhook-url", "https://bistro.example.com/fulfillment/dialogflow"},
		func(string) (string, bool) { return "", false }, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatal(err)
	}
}
