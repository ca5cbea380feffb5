package redis

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
)

// privateRedis is a redis-server started by a test on a free loopback port with append-only persistence.
type privateRedis struct {
	dir, port string
	cmd       *exec.Cmd
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func (r *privateRedis) start(t *testing.T) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		unreachable(t, "redis-server not on PATH: %v", err)
	}
	r.cmd = exec.Command(bin, "--port", r.port, "--bind", "127.0.0.1", "--dir", r.dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "", "--protected-mode", "yes")
	if testing.Verbose() {
		r.cmd.Stdout, r.cmd.Stderr = os.Stderr, os.Stderr
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+r.port, 100*time.Millisecond)
		if err == nil {
			// Loading the AOF answers -LOADING until done; PING until PONG.
			_, _ = c.Write([]byte("PING\r\n"))
			line, _ := bufio.NewReader(c).ReadString('\n')
			_ = c.Close()
			if strings.HasPrefix(line, "+PONG") {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on port %s did not come up: %v", r.port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGTERM (redis-server then flushes the AOF and exits) and waits.
func (r *privateRedis) stop(t *testing.T) {
	t.Helper()
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = r.cmd.Process.Kill()
		<-done
		t.Fatal("redis-server did not stop on SIGTERM")
	}
	r.cmd = nil
}

// TestRestartWithAOF commits bookings and outbox entries to a private redis-server with appendonly, restarts
// it on the same directory, and reads everything back through a new Store.
func TestRestartWithAOF(t *testing.T) {
	r := &privateRedis{dir: t.TempDir(), port: freePort(t)}
	r.start(t)
	t.Cleanup(func() { r.stop(t) })
	url := "redis://127.0.0.1:" + r.port + "/0"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	s, err := Open(ctx, url, Options{Prefix: "resv", Timeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	start := t0.Add(48 * time.Hour)
	const n = 25
	for i := range n {
		b := newBooking(fmt.Sprintf("b%d", i), "bistro", "u1", start.Add(time.Duration(i)*2*time.Hour), 2)
		createBooking(t, s, b, 40, t0)
	}
	claimed, err := s.ClaimOutbox(ctx, "w", 5, time.Minute, t0)
	if err != nil || len(claimed) != 5 {
		t.Fatalf("claim before restart: %d %v", len(claimed), err)
	}
	for _, e := range claimed {
		if err := s.AckOutbox(ctx, e.ID, "w", t0); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	r.stop(t)
	r.start(t)

	s2, err := Open(ctx, url, Options{Prefix: "resv", Timeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s2.Close() }()
	got, err := s2.BookingsByUser(ctx, "u1", t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n || got[0].ID != "b0" || got[n-1].Customer.Email != "ada@example.com" {
		t.Fatalf("after restart: %d bookings %v", len(got), bookingIDs(got))
	}
	if b, err := s2.Booking(ctx, "b7"); err != nil || !b.Start.Equal(start.Add(14*time.Hour)) {
		t.Fatalf("booking b7 after restart: %+v %v", b, err)
	}
	depth, oldest, err := s2.OutboxStats(ctx)
	if err != nil || depth != n-5 || !oldest.Equal(t0) {
		t.Fatalf("outbox after restart: depth %d oldest %v err %v", depth, oldest, err)
	}
	es, err := s2.OutboxByBooking(ctx, claimed[0].BookingID)
	if err != nil || len(es) != 1 || es[0].State != booking.DeliveryDelivered {
		t.Fatalf("delivered entry after restart: %+v %v", es, err)
	}
	// The restarted server has an empty script cache: commits still work (NOSCRIPT falls back to EVAL), and the
	// capacity accounting survived: 40 covers at b0's start minus b0's 2.
	b := newBooking("late", "bistro", "u2", start, 38)
	createBooking(t, s2, b, 40, t0)
	over := newBooking("over", "bistro", "u2", start, 1)
	err = s2.Commit(ctx, &booking.Mutation{MerchantID: "bistro", Now: t0, Booking: over, Claim: claimFor(over, 40)})
	wantCode(t, err, booking.CodeSlotUnavailable)
}
