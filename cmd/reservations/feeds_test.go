package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/bolt"
)

func TestFeedsCommand(t *testing.T) {
	// A bolt store with one booking: the availability feed leaves out the party sizes that no longer fit.
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "db", "reservations.db")
	st, err := bolt.Open(dbPath, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	core, err := booking.NewService(booking.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	la, _ := time.LoadLocation("America/Los_Angeles")
	d := time.Now().In(la).AddDate(0, 0, 2)
	start := time.Date(d.Year(), d.Month(), d.Day(), 19, 0, 0, 0, la)
	if _, err := core.CreateBooking(context.Background(), booking.CreateRequest{MerchantID: booking.SampleMerchantID, Start: start, PartySize: 8,
		Customer: booking.Customer{Name: "F F"}, Source: booking.SourceAdmin}); err != nil {
		t.Fatal(err)
	}
	for range 4 { // 8 + 4×8 = 40 covers: the start is full.
		if _, err := core.CreateBooking(context.Background(), booking.CreateRequest{MerchantID: booking.SampleMerchantID, Start: start, PartySize: 8,
			Customer: booking.Customer{Name: "F F"}, Source: booking.SourceAdmin}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	count := func(store string) (int, bool) {
		t.Helper()
		out := filepath.Join(dir, "out-"+strings.ReplaceAll(store, ":", "-"))
		var stdout, stderr bytes.Buffer
		code := feedsCommand(context.Background(), []string{"--out", out, "--days", "3"},
			env("RESERVATIONS_STORE", store), &stdout, &stderr)
		if code != exitOK {
			t.Fatalf("feeds with %s: exit %d: %s", store, code, stderr.String())
		}
		if !strings.Contains(stdout.String(), "wrote "+filepath.Join(out, "availability.json")) {
			t.Errorf("stdout: %s", stdout.String())
		}
		var av struct {
			Metadata struct {
				ProcessingInstruction string `json:"processing_instruction"`
				TotalShards           int    `json:"total_shards"`
				Nonce                 string `json:"nonce"`
				GenerationTimestamp   int64  `json:"generation_timestamp"`
			} `json:"metadata"`
			ServiceAvailability []struct {
				Availability []struct {
					MerchantID string `json:"merchant_id"`
					StartSec   int64  `json:"start_sec"`
					Resources  struct {
						PartySize int `json:"party_size"`
					} `json:"resources"`
				} `json:"availability"`
			} `json:"service_availability"`
		}
		data, err := os.ReadFile(filepath.Join(out, "availability.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &av); err != nil {
			t.Fatal(err)
		}
		m := av.Metadata
		if m.ProcessingInstruction != "PROCESS_AS_COMPLETE" || m.TotalShards != 1 || m.Nonce == "" || time.Since(time.Unix(m.GenerationTimestamp, 0)) > time.Minute {
			t.Errorf("metadata %+v", m)
		}
		for _, name := range []string{"merchants.json", "services.json"} {
			data, err := os.ReadFile(filepath.Join(out, name))
			if err != nil || !strings.Contains(string(data), `"merchant_id": "sample-bistro"`) {
				t.Errorf("%s: %v %.200s", name, err, data)
			}
		}
		if len(av.ServiceAvailability) != 1 {
			t.Fatalf("%d services", len(av.ServiceAvailability))
		}
		full := false
		for _, a := range av.ServiceAvailability[0].Availability {
			if a.StartSec == start.Unix() {
				full = true
			}
		}
		return len(av.ServiceAvailability[0].Availability), full
	}
	withBookings, offered := count("bolt:" + dbPath)
	if offered {
		t.Error("the feed from the store offers the full start time")
	}
	hoursOnly, offered := count("memory")
	if !offered {
		t.Error("the opening-hours-only feed does not offer the start time")
	}
	// The full start is missing with all 8 party sizes; the overlapping starts (90-minute dinners) too.
	if withBookings >= hoursOnly || (hoursOnly-withBookings)%8 != 0 {
		t.Errorf("entries: %d from the store, %d from opening hours", withBookings, hoursOnly)
	}
}

func TestFeedsFlags(t *testing.T) {
	tests := []struct {
		args []string
		env  []string
		want string
	}{
		{nil, nil, "--out is required"},
		{[]string{"--out", t.TempDir(), "--days", "0"}, nil, "--days 0"},
		{[]string{"--out", t.TempDir()}, []string{"RESERVATIONS_STORE", "ftp://x"}, "invalid --store / RESERVATIONS_STORE"},
		{[]string{"--out", t.TempDir(), "--store", "memory", "--inventory", "/nonexistent.json"}, nil, "inventory"},
		{[]string{"--out", t.TempDir(), "x"}, nil, `unexpected argument "x"`},
	}
	for _, tc := range tests {
		var stdout, stderr bytes.Buffer
		if code := feedsCommand(context.Background(), tc.args, env(tc.env...), &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}
