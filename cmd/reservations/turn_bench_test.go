package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/memory"
	"github.com/reservations/reservations/server"
)

// BenchmarkStartTurnHTTP compares the first turn of a reservation ("book a table" on a phone: the service
// answers with the transaction requirements check), served by the whole service as `serve` assembles it
// (request id, access log, metrics, recovery, body limit, the webhook's basic auth, the conversation), with a
// bare Gin engine that decodes the same request body into a generic value and encodes it back. Both run on
// real loopback listeners and are driven one request at a time over keep-alive connections, alternating
// echo and start turns, so that both see the same machine speed (this VM's host varies it by several times
// within minutes). It reports each one's rate and start/echo, the ratio of the rates; the target is
// start/echo ≥ 0.9. Run with -cpu 1, so that client, servers and runtime share one core:
//
//	go test -run '^$' -bench BenchmarkStartTurnHTTP -cpu 1 -count 3 ./cmd/reservations
func BenchmarkStartTurnHTTP(b *testing.B) {
	gin.SetMode(gin.ReleaseMode)
	body := startTurnBody(b)
	echo := newTurnClient(b, echoEngine(), body, "", []byte(`"responseId"`))
	start := newTurnClient(b, serviceHandler(b), body, "dialogflow:pw", []byte("actions.intent.TRANSACTION_REQUIREMENTS_CHECK"))
	for range 200 { // warm both up: connections, pools, the first GC cycles
		echo.turn(b)
		start.turn(b)
	}
	var echoTime, startTime time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		echo.turn(b)
		t1 := time.Now()
		start.turn(b)
		echoTime += t1.Sub(t0)
		startTime += time.Since(t1)
	}
	b.ReportMetric(float64(b.N)/echoTime.Seconds(), "echo-turns/s")
	b.ReportMetric(float64(b.N)/startTime.Seconds(), "start-turns/s")
	b.ReportMetric(echoTime.Seconds()/startTime.Seconds(), "start/echo")
}

// echoEngine is the baseline: Gin with no middleware, one route that binds the JSON body and writes it back.
func echoEngine() http.Handler {
	e := gin.New()
	e.POST("/fulfillment/dialogflow", func(c *gin.Context) {
		var v any
		if err := c.ShouldBindJSON(&v); err != nil {
			c.AbortWithStatus(http.StatusBadRequest)
			return
		}
		c.JSON(http.StatusOK, v)
	})
	return e
}

// serviceHandler is the service's HTTP handler as newServer builds it for `serve`, on the in-memory store, with
// the access log going nowhere (its formatting still runs: the handler is enabled at info level).
func serviceHandler(b *testing.B) http.Handler {
	cfg, err := parseConfig(cmdServe, nil, withCreds())
	if err != nil {
		b.Fatal(err)
	}
	store := memory.New()
	inv := booking.SampleInventory()
	core, err := booking.NewService(booking.Config{Store: store, Inventory: inv})
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(discard{}, nil))
	srv, err := newServer(cfg, core, store, inv, server.NewRegistry(), log)
	if err != nil {
		b.Fatal(err)
	}
	return srv.Handler()
}

// discard is an io.Writer that drops what it is given without letting slog skip the formatting
// (slog.DiscardHandler would).
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// startTurnBody is a Dialogflow request for the reservation.start intent from a phone with screen and audio,
// at the start of a conversation (nothing in the cart).
func startTurnBody(b *testing.B) []byte {
	session := "projects/reservations-bench/agent/sessions/bench-1"
	data, _ := json.Marshal(map[string]any{"cart": map[string]any{}})
	body, err := json.Marshal(map[string]any{
		"responseId": "bench-1",
		"session":    session,
		"queryResult": map[string]any{
			"queryText": "book a table", "parameters": map[string]any{}, "languageCode": "en",
			"intent": map[string]any{"displayName": "reservation.start"},
			"outputContexts": []map[string]any{{"name": session + "/contexts/_actions_on_google", "lifespanCount": 99,
				"parameters": map[string]any{"data": string(data)}}},
		},
		"originalDetectIntentRequest": map[string]any{"source": "google", "version": "2", "payload": map[string]any{
			"isInSandbox": true,
			"surface": map[string]any{"capabilities": []map[string]string{
				{"name": "actions.capability.SCREEN_OUTPUT"}, {"name": "actions.capability.AUDIO_OUTPUT"}}},
			"inputs": []any{map[string]any{"intent": "actions.intent.TEXT",
				"rawInputs": []map[string]any{{"inputType": "VOICE", "query": "book a table"}}}},
			"user":         map[string]any{"locale": "en-US", "userStorage": `{"data":{"uid":"bench-user"}}`, "userVerificationStatus": "VERIFIED"},
			"conversation": map[string]any{"conversationId": "bench-1", "type": "NEW"},
		}},
	})
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// turnClient posts one request body over a keep-alive connection to a handler served on a loopback listener.
type turnClient struct {
	conn net.Conn
	r    *bufio.Reader
	head []byte
	body []byte
	want []byte
	out  bytes.Buffer
}

// newTurnClient serves h on a loopback listener and connects to it; each turn posts body, with basicAuth
// ("user:password") when not empty, and expects a 200 containing want.
func newTurnClient(b *testing.B, h http.Handler, body []byte, basicAuth string, want []byte) *turnClient {
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	var head bytes.Buffer
	fmt.Fprintf(&head, "POST /fulfillment/dialogflow HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n",
		srv.Listener.Addr(), len(body))
	if basicAuth != "" {
		fmt.Fprintf(&head, "Authorization: Basic %s\r\n", base64.StdEncoding.EncodeToString([]byte(basicAuth)))
	}
	head.WriteString("\r\n")
	return &turnClient{conn: conn, r: bufio.NewReaderSize(conn, 16<<10), head: head.Bytes(), body: body, want: want}
}

// turn posts the body once and checks the answer.
func (c *turnClient) turn(b *testing.B) {
	bufs := net.Buffers{c.head, c.body}
	if _, err := bufs.WriteTo(c.conn); err != nil {
		b.Fatal(err)
	}
	res, err := http.ReadResponse(c.r, nil)
	if err != nil {
		b.Fatal(err)
	}
	c.out.Reset()
	_, err = c.out.ReadFrom(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK || !bytes.Contains(c.out.Bytes(), c.want) {
		b.Fatalf("answer %d %v: %.300s", res.StatusCode, err, c.out.Bytes())
	}
}
