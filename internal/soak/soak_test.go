package soak

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/reservations/reservations/orders/orderstest"
)

// The soak's inventory: a diner whose handful of slots the Actions Center clients race for (capacity 6 each,
// 30 min apart, so a start's bookings never overlap another's), and a salon that confirms by hand, where the
// Assistant bookings live (capacity large enough that staff reschedules never fail for room).
const (
	diner        = "soak-diner"
	dinerService = "table"
	salon        = "soak-salon"
	capacity     = 6
	slots        = 5
)

const inventoryJSON = `{"merchants":[
 {"id":"soak-diner","name":"Soak Diner","timeZone":"UTC","address":{"regionCode":"US","locality":"Merced"},
  "hours":[%[1]s],
  "policy":{"hold":"15m","minLead":"1h","maxLead":"1440h","cancelBefore":"2h","manualConfirm":false,"fulfillAfter":"1h"},
  "services":[{"id":"table","name":"Table","description":"A table.","type":"RESTAURANT","duration":"30m",
   "minPartySize":1,"maxPartySize":4,"capacity":6,"interval":"30m"}],"defaultService":"table"},
 {"id":"soak-salon","name":"Soak Salon","timeZone":"UTC","address":{"regionCode":"US","locality":"Merced"},
  "hours":[%[1]s],
  "policy":{"hold":"15m","minLead":"1h","maxLead":"1440h","cancelBefore":"1h","manualConfirm":true,"fulfillAfter":"1h"},
  "services":[{"id":"cut","name":"Haircut","description":"A haircut.","type":"HAIRDRESSER","duration":"30m",
   "minPartySize":1,"maxPartySize":2,"capacity":1000,"interval":"30m"}],"defaultService":"cut"}]}`

// Credentials of the soak's servers.
const (
	bookingServerUser, bookingServerPass = "google", "soak-booking-server"
	adminUser, adminPass                 = "staff", "soak-admin"
)

// settings are the soak's knobs, from the environment.
type settings struct {
	duration time.Duration // SOAK_DURATION: how long the load runs
	// quick (SOAK_QUICK=1) kills the workers and Redis only before the staff's changes start, so that no
	// update is cut by a kill and waits out its 2 min lease, and the drain stays short (the CI form).
	quick   bool
	clients int // SOAK_CLIENTS: Actions Center clients (default 16)
}

func soakSettings(t *testing.T) settings {
	raw := os.Getenv("SOAK_DURATION")
	if raw == "" {
		t.Skip("the fault soak runs only with SOAK_DURATION set (make soak)")
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d < 10*time.Second {
		t.Fatalf("SOAK_DURATION=%q: want a duration of at least 10s", raw)
	}
	s := settings{duration: d, quick: os.Getenv("SOAK_QUICK") == "1", clients: 16}
	if n, err := strconv.Atoi(os.Getenv("SOAK_CLIENTS")); err == nil && n > 0 {
		s.clients = n
	}
	return s
}

// cluster is everything the soak runs: Redis, the fake Orders API, the servers and the workers.
type cluster struct {
	redis     *proc
	redisAddr string // host:port
	redisURL  string
	orders    *orderstest.Server
	servers   []*proc
	bases     []string // the servers' base URLs
	workers   []*proc
	dir       string
}

func (c *cluster) all() []*proc {
	return append(append([]*proc{c.redis}, c.servers...), c.workers...)
}

// startCluster starts Redis, the fake Orders API (a third of its calls answer 503, each after 100 ms, so that
// a worker killed under load often has a call in flight), three servers without workers and two workers.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	c := &cluster{dir: dir}
	rport := freePort(t)
	c.redis = startRedis(t, redisDir(t), rport)
	t.Cleanup(c.redis.kill)
	c.redisAddr = fmt.Sprintf("127.0.0.1:%d", rport)
	c.redisURL = "redis://" + c.redisAddr + "/0"

	c.orders = orderstest.NewTB(t, orderstest.Config{Seed: uint64(time.Now().UnixNano()),
		Faults: orderstest.Faults{P503: 1.0 / 3}, Latency: 100 * time.Millisecond})
	key := filepath.Join(dir, "service-account.json")
	inv := filepath.Join(dir, "inventory.json")
	var hours string
	for d := range 7 {
		if d > 0 {
			hours += ","
		}
		hours += fmt.Sprintf(`{"day":%d,"open":"08:00","close":"20:00"}`, d)
	}
	if err := os.WriteFile(key, c.orders.ServiceAccountJSON(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(inv, fmt.Appendf(nil, inventoryJSON, hours), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"RESERVATIONS_STORE=" + c.redisURL, "RESERVATIONS_INVENTORY=" + inv,
		"RESERVATIONS_ORDERS_API_URL=" + c.orders.URL, "GOOGLE_APPLICATION_CREDENTIALS=" + key,
		"RESERVATIONS_LOG_LEVEL=warn", "RESERVATIONS_WEBHOOK_BASIC_AUTH=dialogflow:soak-webhook",
		"RESERVATIONS_BOOKING_SERVER_CREDENTIALS=" + bookingServerUser + ":" + bookingServerPass,
		"RESERVATIONS_ADMIN_CREDENTIALS=" + adminUser + ":" + adminPass, "RESERVATIONS_BIND=127.0.0.1"}
	for i := range 3 {
		port := freePort(t)
		p := newProc(fmt.Sprintf("server%d", i+1), bin, dir, append(env, "PORT="+strconv.Itoa(port)),
			"serve", "--worker=false")
		p.start(t)
		t.Cleanup(p.kill)
		c.servers = append(c.servers, p)
		c.bases = append(c.bases, fmt.Sprintf("http://127.0.0.1:%d", port))
	}
	for i := range 2 {
		p := newProc(fmt.Sprintf("worker%d", i+1), bin, dir, env, "worker")
		p.start(t)
		t.Cleanup(p.kill)
		c.workers = append(c.workers, p)
	}
	for i, base := range c.bases {
		if !waitUntil(30*time.Second, func() bool { return ready(context.Background(), base) }) {
			t.Fatalf("%s is not ready:\n%s", c.servers[i].name, c.servers[i].tail())
		}
	}
	return c
}

// redisDir is where Redis keeps its AOF: in memory (/dev/shm) when the machine has it, else a temporary
// directory. A SIGKILL of redis-server loses nothing the kernel already has either way, which is what the
// soak tests; a disk shared with other work can stall an fsync past the store's 500 ms client timeout, which
// would test the disk instead.
func redisDir(t *testing.T) string {
	t.Helper()
	if dir, err := os.MkdirTemp("/dev/shm", "reservations-soak-redis-"); err == nil {
		t.Cleanup(func() { _ = os.RemoveAll(dir) })
		return dir
	}
	return t.TempDir()
}

// fault is one SIGKILL and restart at a point of the run.
type fault struct {
	at   float64 // fraction of the run's duration
	what string
	p    func(*cluster) *proc
}

// faults lists the kills of a run. The first half (Actions Center load only) kills a server, each worker and
// Redis; the second half, while staff change Assistant orders, kills another server and, unless quick, each
// worker and Redis again while updates are on their way to the Orders API.
func faults(quick bool) []fault {
	server := func(i int) func(*cluster) *proc { return func(c *cluster) *proc { return c.servers[i] } }
	worker := func(i int) func(*cluster) *proc { return func(c *cluster) *proc { return c.workers[i] } }
	redis := func(c *cluster) *proc { return c.redis }
	fs := []fault{
		{0.15, "server1", server(0)}, {0.25, "worker1", worker(0)}, {0.32, "worker2", worker(1)},
		{0.42, "redis", redis}, {0.65, "server2", server(1)},
	}
	if !quick {
		fs = append(fs, fault{0.72, "worker1", worker(0)}, fault{0.8, "redis", redis},
			fault{0.9, "worker2", worker(1)})
	}
	return fs
}

// injectFaults runs the kills at their times, each followed by the restart, and waits for the service to be
// ready again before the next one. It returns what it did, and which processes died by themselves.
func (c *cluster) injectFaults(t *testing.T, start time.Time, d time.Duration, fs []fault) (done []string, exits []string) {
	for _, f := range fs {
		time.Sleep(time.Until(start.Add(time.Duration(f.at * float64(d)))))
		p := f.p(c)
		p.restart(t)
		if p == c.redis && !waitUntil(10*time.Second, func() bool { return redisPing(c.redisURL[len("redis://") : len(c.redisURL)-2]) }) {
			t.Errorf("redis did not come back:\n%s", p.tail())
		}
		done = append(done, fmt.Sprintf("%s at %.0fs", f.what, time.Since(start).Seconds()))
		// Every process should have survived (or ridden out) the fault; one that exited is restarted and
		// reported.
		time.Sleep(500 * time.Millisecond)
		for _, q := range c.all() {
			select {
			case <-q.done:
				exits = append(exits, q.name+" after the "+f.what+" kill")
				t.Logf("%s exited by itself after the %s kill:\n%s", q.name, f.what, q.tail())
				q.start(t)
			default:
			}
		}
		for _, base := range c.bases {
			waitUntil(20*time.Second, func() bool { return ready(context.Background(), base) })
		}
	}
	return done, exits
}

// client is the HTTP client of the load: short timeouts, since a killed server never answers.
func client() *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
}

// TestSoak is the fault soak (SOAK_DURATION=60s go test ./internal/soak -run TestSoak -v; `make soak`).
func TestSoak(t *testing.T) {
	cfg := soakSettings(t)
	c := startCluster(t)
	t.Logf("cluster up: redis %s, servers %v, fake Orders API %s", c.redisURL, c.bases, c.orders.URL)

	day := time.Now().UTC().Add(48 * time.Hour).Truncate(24 * time.Hour)
	ac := newACLoad(c.bases, day, cfg.clients)
	staff := newStaffLoad(c.bases, c.redisURL, filepath.Join(c.dir, "inventory.json"), day.Add(24*time.Hour))

	start := time.Now()
	end := start.Add(cfg.duration)
	var wg sync.WaitGroup
	wg.Go(func() { ac.run(end) })
	wg.Go(func() {
		time.Sleep(time.Until(start.Add(cfg.duration / 2)))
		staff.run(t, end)
	})
	fdone, exits := c.injectFaults(t, start, cfg.duration, faults(cfg.quick))
	wg.Wait()
	loadTime := time.Since(start)

	// An update whose sending or acknowledgement was cut (a killed worker, or Redis down or slower than the
	// store's timeout while the worker acknowledged it) waits for its lease (orders.DefaultLease, 2 min) to
	// run out before a worker sends it again: the bound covers that plus the backoff after 503s (full jitter
	// up to 1 s × 2^attempts), with more room when workers were killed during the deliveries.
	drainBound := 3 * time.Minute
	if !cfg.quick {
		drainBound = 5 * time.Minute
	}
	drainStart := time.Now()
	drained := staff.waitDrained(t, drainBound)
	drain := time.Since(drainStart)

	r := report{load: loadTime, drain: drain, drained: drained, faults: fdone, exits: exits}
	ac.check(t, &r)
	staff.check(t, c.orders, &r)
	r.attempts, r.injected = c.orders.Attempts(), c.orders.Injected()["503"]
	t.Log(r.String())
	if t.Failed() {
		for _, p := range c.all() {
			t.Logf("--- %s (restarted %d times):\n%s", p.name, p.restarts, p.tail())
		}
	}
}
