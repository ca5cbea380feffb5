package server

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/reservations/reservations/internal/testsupport"
)

// privateRedis is a redis-server process started by a test on its own loopback port, without persistence.
type privateRedis struct {
	t    *testing.T
	bin  string
	port int
	dir  string
	cmd  *exec.Cmd
}

func redisServerOrSkip(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		testsupport.SkipUnlessCI(t, "redis-server not on PATH: "+err.Error())
	}
	return bin
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func (r *privateRedis) start() {
	r.t.Helper()
	r.cmd = exec.Command(r.bin,
		"--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", r.dir, "--loglevel", "warning")
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("start redis-server: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(r.port), 100*time.Millisecond)
		if err == nil {
			_ = c.SetDeadline(time.Now().Add(time.Second))
			_, _ = c.Write([]byte("PING\r\n"))
			buf := make([]byte, 16)
			n, _ := c.Read(buf)
			c.Close()
			if strings.HasPrefix(string(buf[:n]), "+PONG") {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.t.Fatalf("redis-server on port %d did not answer PING", r.port)
}

func (r *privateRedis) stop() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
	r.cmd = nil
}

// TestReadyzFollowsRealRedis stops and restarts a private redis-server and watches /readyz go 200 → 503 → 200.
func TestReadyzFollowsRealRedis(t *testing.T) {
	r := &privateRedis{t: t, bin: redisServerOrSkip(t), port: freePort(t), dir: t.TempDir()}
	r.start()
	t.Cleanup(r.stop)

	rdb := goredis.NewClient(&goredis.Options{
		Addr:        fmt.Sprintf("127.0.0.1:%d", r.port),
		DialTimeout: 200 * time.Millisecond,
		MaxRetries:  1,
	})
	t.Cleanup(func() { _ = rdb.Close() })
	store := PingerFunc(func(ctx context.Context) error { return rdb.Ping(ctx).Err() })
	s, _ := newTestServer(t, Config{Store: store})

	ready := func() (int, string) {
		w := serve(s.Handler(), http.MethodGet, "/readyz", nil)
		return w.Code, w.Body.String()
	}
	waitFor := func(code int) string {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			got, body := ready()
			if got == code {
				return body
			}
			if time.Now().After(deadline) {
				t.Fatalf("/readyz stayed %d %s, want %d", got, body, code)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	if body := waitFor(200); body != `{"status":"ready"}` {
		t.Fatalf("ready body = %s", body)
	}
	r.stop()
	body := waitFor(503)
	if !strings.HasPrefix(body, `{"reason":"store: `) || !strings.HasSuffix(body, `","status":"unavailable"}`) {
		t.Fatalf("unavailable body = %s", body)
	}
	r.start()
	if body := waitFor(200); body != `{"status":"ready"}` {
		t.Fatalf("ready body after restart = %s", body)
	}
}
