package bolt

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
)

// Environment of the helper process.
const (
	envHelper = "BOOKING_BOLT_HELPER" // "commit" or "open"
	envPath   = "BOOKING_BOLT_PATH"
)

// TestHelperProcess is not a test: it is the child process of TestCrashKeepsAcknowledgedBookings and
// TestOpenLockedByAnotherProcess, selected by the BOOKING_BOLT_HELPER environment variable.
//
// "commit": open the file, then commit bookings from 4 goroutines forever, printing "ID <id>" after each
// acknowledged Commit. "open": try to open the file with a 300 ms timeout and print "ERR <error>" and the time
// it took, or "OPENED".
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(envHelper)
	if mode == "" {
		t.Skip("helper process for the subprocess tests")
	}
	path := os.Getenv(envPath)
	switch mode {
	case "commit":
		s, err := Open(path, Options{})
		if err != nil {
			fmt.Printf("ERR %v\n", err)
			os.Exit(2)
		}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				for i := 0; i < 1_000_000; i++ {
					b := newBooking(fmt.Sprintf("w%d-%07d", w, i), 24*60+i%1000)
					err := s.Commit(context.Background(), &booking.Mutation{
						MerchantID: "m1", Now: t0, Booking: &b, Outbox: []booking.OutboxEntry{entry(b, 0)},
					})
					mu.Lock()
					if err != nil {
						fmt.Printf("ERR %v\n", err)
						os.Exit(2)
					}
					fmt.Printf("ID %s\n", b.ID)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		os.Exit(0)
	case "open":
		start := time.Now()
		s, err := Open(path, Options{Timeout: 300 * time.Millisecond})
		if err != nil {
			fmt.Printf("ERR %v\nELAPSED %d\n", err, time.Since(start).Milliseconds())
			os.Exit(0)
		}
		_ = s.Close()
		fmt.Println("OPENED")
		os.Exit(0)
	}
}

// helper returns the command that runs TestHelperProcess in mode on path.
func helper(ctx context.Context, mode, path string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), envHelper+"="+mode, envPath+"="+path)
	cmd.Stderr = os.Stderr
	return cmd
}

func TestCrashKeepsAcknowledgedBookings(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := helper(ctx, "commit", path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []string
	sc := bufio.NewScanner(out)
	killed := false
	for sc.Scan() {
		line := sc.Text()
		id, ok := strings.CutPrefix(line, "ID ")
		if !ok {
			t.Fatalf("child: %s", line)
		}
		acked = append(acked, id)
		if len(acked) == 300 && !killed {
			// kill -9 in the middle of the stream; ids already printed must survive.
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	werr := cmd.Wait()
	if !killed {
		t.Fatalf("child ended before it was killed: %v", werr)
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die of SIGKILL: %v", werr)
	}

	s, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("reopen after the crash: %v", err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}()
	for _, id := range acked {
		b, err := s.Booking(ctx, id)
		if err != nil {
			t.Fatalf("acknowledged booking %s lost: %v", id, err)
		}
		if es, err := s.OutboxByBooking(ctx, id); err != nil || len(es) != 1 || es[0].Booking.ID != b.ID {
			t.Fatalf("outbox entry of acknowledged booking %s: %v, %v", id, entryIDs(es), err)
		}
	}
	t.Logf("%d acknowledged bookings survived SIGKILL", len(acked))
}

func TestOpenLockedByAnotherProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	path := filepath.Join(t.TempDir(), "data", "reservations.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}

	out, err := helper(ctx, "open", path).Output()
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	want := "ERR booking/bolt: " + path + " is locked by another process: timeout"
	if len(lines) < 2 || lines[0] != want {
		t.Fatalf("child said %q, want first line %q", out, want)
	}
	var ms int64
	// bbolt retries the lock every 50 ms and gives up one retry before the timeout: it waited, then failed.
	if _, err := fmt.Sscanf(lines[1], "ELAPSED %d", &ms); err != nil || ms < 200 || ms > 10_000 {
		t.Fatalf("child gave up after %q, want about the 300 ms timeout", lines[1])
	}

	// Once the lock is released another process can open it.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	out, err = helper(ctx, "open", path).Output()
	if err != nil || strings.TrimSpace(string(out)) != "OPENED" {
		t.Fatalf("child after Close: %q, %v", out, err)
	}
	for _, mode := range []os.FileMode{0o600, 0o750 | os.ModeDir} {
		p := path
		if mode.IsDir() {
			p = filepath.Dir(path)
		}
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		// The umask may take bits away, never add them.
		if got := fi.Mode() & (os.ModeDir | os.ModePerm); got&^mode != 0 || got.IsDir() != mode.IsDir() {
			t.Errorf("%s mode = %v, want at most %v", p, got, mode)
		}
	}
}
