package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/actionscenter"
	"github.com/reservations/reservations/booking/memory"
)

// Feed file names written by `reservations feeds`.
const (
	feedMerchants    = "merchants.json"
	feedServices     = "services.json"
	feedAvailability = "availability.json"
)

// storeMemory is the --store value that computes availability without a store: opening hours, lead times and
// capacity only, as if nothing were booked.
const storeMemory = "memory"

// runFeeds implements `reservations feeds`: it writes the Actions Center merchant, service and availability feeds
// (JSON, a full PROCESS_AS_COMPLETE upload in one shard) for the inventory, with availability for the next
// --days days read from the live store, so that Google's cached availability matches what the booking server
// answers.
//
//	reservations feeds --out DIR [--inventory FILE] [--days 30] [--store bolt:data/reservations.db|redis://…|memory]
//
// --inventory and --store default to RESERVATIONS_INVENTORY and RESERVATIONS_STORE, the settings serve uses. The
// embedded bbolt file is locked while serve runs: with bolt, run feeds while the server is stopped, use Redis,
// or pass --store memory (opening hours and capacity only; bookings are not subtracted).
func runFeeds(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return feedsCommand(ctx, args, os.LookupEnv, stdout, stderr)
}

// feedsCommand is runFeeds with the environment injected, for tests.
func feedsCommand(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer) int {
	fs := newSubcommand("feeds", "reservations feeds --out DIR [--inventory FILE] [--days 30] [--store SPEC]",
		"Writes the Actions Center merchant, service and availability feeds as JSON.", stderr)
	envOr := func(name, def string) string {
		if v, ok := lookupEnv(name); ok && v != "" {
			return v
		}
		return def
	}
	out := fs.String("out", "", "directory to write merchants.json, services.json and availability.json to; required")
	inventory := fs.String("inventory", envOr("RESERVATIONS_INVENTORY", ""), "inventory file (env RESERVATIONS_INVENTORY; default: the built-in sample merchant)")
	days := fs.Int("days", actionscenter.DefaultFeedDays, "days of availability from now")
	storeSpec := fs.String("store", envOr("RESERVATIONS_STORE", defaultStore),
		"store to read bookings from: bolt:PATH, redis://host:port/db, rediss://… or memory (env RESERVATIONS_STORE)")
	if code, done := fs.parse(args); done {
		return code
	}
	usage := fs.usage
	if *out == "" {
		return usage("--out is required (the directory to write the feeds to)")
	}
	if *days < 1 || *days > 366 {
		return usage("--days %d: want 1 to 366", *days)
	}
	cfg := &Config{InventoryFile: *inventory}
	if *storeSpec != storeMemory {
		if err := applyStore(cfg, *storeSpec); err != nil {
			return usage("invalid --store / RESERVATIONS_STORE: %v", err)
		}
	}
	inv, err := loadInventory(cfg)
	if err != nil {
		return usage("%v", err)
	}
	var store booking.Store = memory.New()
	if *storeSpec != storeMemory {
		if store, err = openStore(ctx, cfg); err != nil {
			fmt.Fprintf(stderr, "feeds: %v\n", err)
			return exitFailure
		}
	}
	defer func() { _ = store.Close() }()
	core, err := booking.NewService(booking.Config{Store: store, Inventory: inv})
	if err != nil {
		fmt.Fprintf(stderr, "feeds: %v\n", err)
		return exitFailure
	}
	feeds, err := actionscenter.BuildFeeds(ctx, core, actionscenter.FeedOptions{Days: *days})
	if err != nil {
		fmt.Fprintf(stderr, "feeds: %v\n", err)
		return exitFailure
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintf(stderr, "feeds: --out %s: %v\n", *out, err)
		return exitFailure
	}
	entries := 0
	for _, sa := range feeds.Availability.ServiceAvailability {
		entries += len(sa.Availability)
	}
	files := []struct {
		name string
		v    any
		what string
	}{
		{feedMerchants, feeds.Merchants, fmt.Sprintf("%d merchants", len(feeds.Merchants.Merchant))},
		{feedServices, feeds.Services, fmt.Sprintf("%d services", len(feeds.Services.Service))},
		{feedAvailability, feeds.Availability, fmt.Sprintf("%d availability entries over %d days", entries, *days)},
	}
	for _, f := range files {
		path := filepath.Join(*out, f.name)
		if err := writeFeedFile(path, f.v); err != nil {
			fmt.Fprintf(stderr, "feeds: %s: %v\n", path, err)
			return exitFailure
		}
		fmt.Fprintf(stdout, "wrote %s (%s)\n", path, f.what)
	}
	return exitOK
}

// writeFeedFile writes v as indented JSON to a temporary file next to path and renames it into place, so an
// uploader never picks up half a feed.
func writeFeedFile(path string, v any) error {
	data, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".feed-*.json")
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	tmp := f.Name()
	_, werr := f.Write(append(data, '\n'))
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write: %w", err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("chmod: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("rename: %w", err)
	}
	return nil
}
