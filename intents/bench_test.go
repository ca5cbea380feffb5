package intents_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	goredis "github.com/redis/go-redis/v9"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/bolt"
	bredis "github.com/reservations/reservations/booking/redis"
	"github.com/reservations/reservations/fulfillment"
	"github.com/reservations/reservations/intents"
	"github.com/reservations/reservations/internal/proccpu"
	"github.com/reservations/reservations/internal/testsupport"
)

// benchConversations is how many conversations run at once.
const benchConversations = 64

// benchMerchant is the sample bistro with room for any number of benchmark bookings, so that capacity never
// refuses a hold and the turn cost is the conversation's, not the full-slot path's.
func benchInventory() *booking.Inventory {
	inv := booking.SampleInventory()
	m := &inv.Merchants[0]
	m.Services[0].Capacity = 1 << 30
	m.Policy.MaxLead = booking.Duration(365 * 24 * time.Hour)
	return inv
}

// BenchmarkTurns measures whole webhook turns over HTTP on a loopback listener, 64 conversations at once, per
// turn type and store: read-only turns (welcome, list) and writing turns (proposal = check + hold, decision =
// confirm). It reports the median and 99th percentile latency and the turns per second.
func BenchmarkTurns(b *testing.B) {
	gin.SetMode(gin.TestMode)
	for _, store := range []string{"bolt", "redis"} {
		b.Run(store, func(b *testing.B) {
			for _, turn := range []string{"welcome", "list", "proposal", "decision"} {
				b.Run(turn, func(b *testing.B) { benchTurn(b, store, turn, 0) })
			}
		})
	}
}

// BenchmarkTurnsAtTarget measures latency at the target load instead of at saturation: the same 64 conversations,
// each sending its turns on a fixed schedule, so that together they offer the throughput (read turns at
// 5,000/s, write turns at 1,000/s). A turn's latency counts from when it was due, not from when it was sent, so
// a server that falls behind is charged for the queue it builds (no coordinated omission). It reports the 99th
// percentile (and the median) and the rate actually achieved.
func BenchmarkTurnsAtTarget(b *testing.B) {
	gin.SetMode(gin.TestMode)
	for _, store := range []string{"bolt", "redis"} {
		b.Run(store, func(b *testing.B) {
			for _, turn := range []string{"welcome", "list", "proposal", "decision"} {
				rate := 5000.0
				if turn == "proposal" || turn == "decision" {
					rate = 1000
				}
				b.Run(turn, func(b *testing.B) { benchTurn(b, store, turn, rate) })
			}
		})
	}
}

// openBenchStore opens the store, and for Redis also returns the client (to read the server's CPU time).
func openBenchStore(b *testing.B, kind string) (booking.Store, *goredis.Client) {
	switch kind {
	case "bolt":
		s, err := bolt.Open(filepath.Join(b.TempDir(), "bench.db"), bolt.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s, nil
	case "redis":
		url := os.Getenv("REDIS_URL")
		if url == "" {
			url = "redis://127.0.0.1:6379/0"
		}
		opts, err := goredis.ParseURL(url)
		if err != nil {
			b.Fatal(err)
		}
		opts.PoolSize = 4 * benchConversations
		client := goredis.NewClient(opts)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := client.Ping(ctx).Err(); err != nil {
			client.Close()
			testsupport.SkipUnlessCI(b, fmt.Sprintf("redis unreachable (set REDIS_URL): %v", err))
		}
		prefix := fmt.Sprintf("bench-intents-%d-%d", os.Getpid(), time.Now().UnixNano())
		b.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			for _, pattern := range []string{prefix + ":*", "{" + prefix + ":*"} {
				iter := client.Scan(ctx, 0, pattern, 1000).Iterator()
				var keys []string
				for iter.Next(ctx) {
					keys = append(keys, iter.Val())
					if len(keys) == 1000 {
						client.Unlink(ctx, keys...)
						keys = keys[:0]
					}
				}
				if len(keys) > 0 {
					client.Unlink(ctx, keys...)
				}
			}
			client.Close()
		})
		return bredis.New(client, bredis.Options{Prefix: prefix}), client
	}
	b.Fatalf("unknown store %q", kind)
	return nil, nil
}

// benchStart is the i-th start time of the benchmark: spread over the opening hours of the next 300 days.
func benchStart(loc *time.Location, i int) time.Time {
	day := 1 + i%300
	slot := (i / 300) % 15 // 17:00 … 20:30 every 15 minutes
	return time.Date(2026, 11, 22+day, 17, 15*slot, 0, 0, loc)
}

// benchTurn runs b.N turns of one type from 64 conversations: back to back (rate 0, closed loop: the machine's
// throughput), or on a schedule offering rate turns per second in all (open loop: latency at that load).
func benchTurn(b *testing.B, storeKind, turn string, rate float64) {
	store, rc := openBenchStore(b, storeKind)
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.FixedZone("PST", -8*3600))
	var ids atomic.Int64
	core, err := booking.NewService(booking.Config{
		Store:     store,
		Inventory: benchInventory(),
		Now:       func() time.Time { return now },
		NewID:     func() string { return fmt.Sprintf("bench-%d", ids.Add(1)) },
	})
	if err != nil {
		b.Fatal(err)
	}
	app := fulfillment.NewApp(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := intents.Register(app, intents.Deps{Core: core, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(mount(b, app))
	b.Cleanup(srv.Close)
	m, _ := core.Inventory().Merchant(booking.SampleMerchantID)
	ctx := context.Background()

	// Setup outside the timer: every user has three reservations to list; the decision turn gets one hold per
	// iteration to confirm.
	for g := 0; g < benchConversations; g++ {
		for k := 0; k < 3; k++ {
			h, err := core.PlaceHold(ctx, booking.HoldRequest{MerchantID: m.ID, Start: benchStart(m.Location, g*3+k), PartySize: 2, UserID: benchUser(g)})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := core.ConfirmHold(ctx, booking.ConfirmRequest{MerchantID: m.ID, HoldID: h.ID,
				Customer: booking.Customer{Name: "Bench Guest", UserID: benchUser(g)}, Source: booking.SourceConversation}); err != nil {
				b.Fatal(err)
			}
		}
	}
	var holds []booking.Hold
	if turn == "decision" {
		holds = make([]booking.Hold, b.N)
		for i := range holds {
			if holds[i], err = core.PlaceHold(ctx, booking.HoldRequest{MerchantID: m.ID, Start: benchStart(m.Location, 1000+i), PartySize: 2, UserID: benchWriter(i)}); err != nil {
				b.Fatal(err)
			}
		}
	}

	// Requests are built before the clock starts: the client shares the machine with the server.
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i] = benchRequest(turn, i%benchConversations, i, m.Location, holds)
	}

	var next atomic.Int64
	var mu sync.Mutex
	var latencies []time.Duration
	var failures atomic.Int64
	b.SetParallelism((benchConversations + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	redisCPU0 := redisCPU(ctx, rc)
	cpu0, _ := proccpu.Used()
	b.ResetTimer()
	started := time.Now()
	// Each conversation goroutine keeps one keep-alive connection and speaks HTTP/1.1 on it directly: the load
	// generator shares the two cores with the server, and http.Client's transport (a reader and a writer
	// goroutine per connection, channel hand-offs) cost about as much CPU per turn as the server's whole
	// net/http side.
	send := func(cl *benchClient, i int, since time.Time, mine []time.Duration) []time.Duration {
		status, out, err := cl.post(webhookPath, bodies[i])
		if err != nil {
			if failures.Add(1) == 1 {
				b.Errorf("%s turn: %v", turn, err)
			}
			return mine
		}
		mine = append(mine, time.Since(since))
		if status != http.StatusOK || !benchAnswerOK(turn, out) {
			if failures.Add(1) == 1 {
				b.Errorf("%s turn failed: %d %s", turn, status, out)
			}
		}
		return mine
	}
	if rate == 0 {
		b.RunParallel(func(pb *testing.PB) {
			cl := &benchClient{addr: srv.Listener.Addr().String(), auth: benchAuth}
			defer cl.close()
			var mine []time.Duration
			for pb.Next() {
				mine = send(cl, int(next.Add(1)-1), time.Now(), mine)
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			mu.Unlock()
		})
	} else {
		// Conversation g sends turns g, g+64, g+128, … at started + i/rate: one every 64/rate seconds, the
		// conversations' schedules interleaved evenly.
		var wg sync.WaitGroup
		for g := range benchConversations {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cl := &benchClient{addr: srv.Listener.Addr().String(), auth: benchAuth}
				defer cl.close()
				var mine []time.Duration
				for i := g; i < b.N; i += benchConversations {
					due := started.Add(time.Duration(float64(i) / rate * float64(time.Second)))
					time.Sleep(time.Until(due))
					mine = send(cl, i, due, mine)
				}
				mu.Lock()
				latencies = append(latencies, mine...)
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	elapsed := time.Since(started)
	b.StopTimer()
	cpuNow, _ := proccpu.Used()
	cpu := cpuNow - cpu0
	redisUsed := redisCPU(ctx, rc) - redisCPU0
	if len(latencies) == 0 {
		return
	}
	slices.Sort(latencies)
	p50 := latencies[(len(latencies)+1)/2-1]
	p99 := latencies[(len(latencies)*99+99)/100-1]
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	unit := "reads/s"
	if turn == "proposal" || turn == "decision" {
		unit = "writes/s"
	}
	b.ReportMetric(float64(len(latencies))/elapsed.Seconds(), unit)
	// CPU per turn (client and server share this process) says what the machine's load hides.
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(len(latencies)), "cpu-ms/turn")
	if redisUsed > 0 {
		b.ReportMetric(float64(redisUsed.Microseconds())/1000/float64(len(latencies)), "redis-cpu-ms/turn")
	}
	if n := failures.Load(); n > 0 {
		b.Errorf("%d failed turns", n)
	}
}

// benchAuth is the webhook's Authorization header value.
var benchAuth = "Basic " + base64.StdEncoding.EncodeToString([]byte(webhookUser+":"+webhookPass))

// benchClient posts requests on one keep-alive HTTP/1.1 connection, reconnecting when the server closes it.
type benchClient struct {
	addr, auth string
	conn       net.Conn
	r          *bufio.Reader
	head, body bytes.Buffer
}

func (c *benchClient) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// post sends body to path and returns the response's status and body (valid until the next call).
func (c *benchClient) post(path string, body []byte) (int, []byte, error) {
	for attempt := 0; ; attempt++ {
		status, out, err := c.try(path, body)
		if err == nil || attempt == 1 {
			return status, out, err
		}
		c.close() // a keep-alive connection the server closed: once more on a new one
	}
}

func (c *benchClient) try(path string, body []byte) (int, []byte, error) {
	if c.conn == nil {
		conn, err := net.Dial("tcp", c.addr)
		if err != nil {
			return 0, nil, err
		}
		c.conn, c.r = conn, bufio.NewReaderSize(conn, 8<<10)
	}
	c.head.Reset()
	fmt.Fprintf(&c.head, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAuthorization: %s\r\nContent-Length: %d\r\n\r\n",
		path, c.addr, c.auth, len(body))
	bufs := net.Buffers{c.head.Bytes(), body}
	if _, err := bufs.WriteTo(c.conn); err != nil {
		return 0, nil, err
	}
	res, err := http.ReadResponse(c.r, nil)
	if err != nil {
		return 0, nil, err
	}
	c.body.Reset()
	_, err = c.body.ReadFrom(res.Body)
	res.Body.Close()
	if err != nil {
		return 0, nil, err
	}
	if res.Close {
		c.close()
	}
	return res.StatusCode, c.body.Bytes(), nil
}

// redisCPU returns the CPU time redis-server has used (INFO cpu), or 0 without a Redis client.
func redisCPU(ctx context.Context, c *goredis.Client) time.Duration {
	if c == nil {
		return 0
	}
	info, err := c.Info(ctx, "cpu").Result()
	if err != nil {
		return 0
	}
	var total float64
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && (k == "used_cpu_sys" || k == "used_cpu_user") {
			f, _ := strconv.ParseFloat(v, 64)
			total += f
		}
	}
	return time.Duration(total * float64(time.Second))
}

func benchUser(g int) string { return fmt.Sprintf("bench-user-%d", g) }

// benchWriter is the user of writing iteration i: one user per booking, so that no user books two overlapping
// tables (SLOT_ALREADY_BOOKED_BY_USER).
func benchWriter(i int) string { return fmt.Sprintf("bench-writer-%d", i) }

// benchRequest builds the Dialogflow request of iteration i of conversation g: a phone with the user's
// anonymous id in user storage, and the cart the turn needs in the conversation data.
func benchRequest(turn string, g, i int, loc *time.Location, holds []booking.Hold) []byte {
	conv := fmt.Sprintf("bench-conv-%d-%d", g, i)
	intent, query := intents.IntentWelcome, "hi"
	params := map[string]any{}
	cart := map[string]any{}
	var args []map[string]any
	aog := fulfillment.IntentMain
	switch turn {
	case "list":
		intent, query, aog = intents.IntentList, "what are my reservations", fulfillment.IntentText
	case "proposal":
		// The requirements check passed earlier in the conversation; the user asks for a new time.
		start := benchStart(loc, 5000+i)
		intent, query, aog = intents.IntentStart, "book a table", fulfillment.IntentText
		params = map[string]any{"party_size": 2, "date": start.Format(time.RFC3339), "time": start.Format(time.RFC3339), "service": ""}
		cart = map[string]any{"checked": true, "canTransact": true}
	case "decision":
		h := holds[i]
		intent, query, aog = intents.IntentDecision, "actions_intent_TRANSACTION_DECISION", fulfillment.IntentTransactionDecision
		cart = map[string]any{"merchant": h.MerchantID, "service": h.ServiceID, "party": h.PartySize, "hold": h.ID,
			"date": h.Start.In(loc).Format(time.DateOnly), "time": h.Start.In(loc).Format("15:04"),
			"stage": "proposed", "checked": true, "canTransact": true, "attempt": 1}
		args = []map[string]any{{"name": fulfillment.ArgTransactionDecisionValue, "extension": map[string]any{
			"@type":               "type.googleapis.com/google.actions.transactions.v3.TransactionDecisionValue",
			"transactionDecision": "ORDER_ACCEPTED",
			"order": map[string]any{"merchantOrderId": h.ID, "googleOrderId": "g-" + h.ID,
				"buyerInfo": map[string]any{"displayName": "Bench Guest", "email": "bench@example.com"}},
		}}}
	}
	data, _ := json.Marshal(map[string]any{"cart": cart})
	uid := benchUser(g)
	if turn == "proposal" || turn == "decision" {
		uid = benchWriter(i)
	}
	storage, _ := json.Marshal(map[string]any{"data": map[string]any{"uid": uid}})
	input := map[string]any{"intent": aog, "rawInputs": []map[string]any{{"inputType": "VOICE", "query": query}}}
	if args != nil {
		input["arguments"] = args
	}
	caps := []map[string]string{{"name": fulfillment.CapabilityScreen}, {"name": fulfillment.CapabilityAudio}}
	session := sessionPrefix + conv
	body, _ := json.Marshal(map[string]any{
		"responseId": conv,
		"session":    session,
		"queryResult": map[string]any{
			"queryText": query, "parameters": params, "languageCode": "en",
			"intent": map[string]any{"displayName": intent},
			"outputContexts": []map[string]any{{"name": session + "/contexts/_actions_on_google", "lifespanCount": 98,
				"parameters": map[string]any{"data": string(data)}}},
		},
		"originalDetectIntentRequest": map[string]any{"source": "google", "version": "2", "payload": map[string]any{
			"isInSandbox":  true,
			"surface":      map[string]any{"capabilities": caps},
			"inputs":       []any{input},
			"user":         map[string]any{"locale": "en-US", "userStorage": string(storage), "userVerificationStatus": "VERIFIED"},
			"conversation": map[string]any{"conversationId": conv, "type": "ACTIVE"},
		}},
	})
	return body
}

// benchAnswerOK checks that the turn did what it measures (not an apology).
func benchAnswerOK(turn string, out []byte) bool {
	switch turn {
	case "welcome":
		return bytes.Contains(out, []byte("Welcome to Sample Bistro"))
	case "list":
		return bytes.Contains(out, []byte("You have 3 upcoming reservations"))
	case "proposal":
		return bytes.Contains(out, []byte("actions.intent.TRANSACTION_DECISION"))
	case "decision":
		return bytes.Contains(out, []byte("orderUpdateV3"))
	}
	return false
}
