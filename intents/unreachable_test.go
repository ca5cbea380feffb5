package intents_test

import (
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	goredis "github.com/redis/go-redis/v9"

	"github.com/reservations/reservations/booking"
	bredis "github.com/reservations/reservations/booking/redis"
	"github.com/reservations/reservations/intents"
)

// TestRedisUnreachable runs a list turn over a real Redis client whose server refuses connections, or accepts
// them and never answers: the user gets the apology within 2 seconds, over HTTP 200, and the log names the
// failure.
func TestRedisUnreachable(t *testing.T) {
	gin.SetMode(gin.TestMode)
	tests := []struct {
		name string
		addr func(t *testing.T) string
	}{
		{"connection refused", func(t *testing.T) string {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := l.Addr().String()
			l.Close()
			return addr
		}},
		{"server never answers", func(t *testing.T) string {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			t.Cleanup(func() { close(done); l.Close() })
			go func() {
				for {
					c, err := l.Accept()
					if err != nil {
						return
					}
					go func() { <-done; c.Close() }() // keep it open, silent
				}
			}()
			return l.Addr().String()
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := &goredis.Options{Addr: tc.addr(t)}
			bredis.ClientOptions(o, 0) // the timeouts and retry policy of booking/redis.Open
			client := goredis.NewClient(o)
			t.Cleanup(func() { client.Close() })
			store := bredis.New(client, bredis.Options{Prefix: "unreachable"})
			start, _ := time.Parse(time.RFC3339, "2026-11-22T10:00:00-08:00")
			e := newEnvWith(t, store, start, booking.SampleInventory(), booking.SampleMerchantID)
			e.turnN = 1
			turn := Turn{Say: "what are my reservations", Intent: intents.IntentList}
			began := time.Now()
			resp := e.post(t, "list", e.request(t, "list", "phone", turn))
			if took := time.Since(began); took > 2*time.Second {
				t.Errorf("answered in %v, want within 2s", took)
			}
			var r struct {
				FulfillmentText string `json:"fulfillmentText"`
			}
			if err := json.Unmarshal(resp, &r); err != nil {
				t.Fatal(err)
			}
			const want = "Sorry, I can't reach the reservation book right now. Please try again in a few minutes."
			if r.FulfillmentText != want {
				t.Errorf("answer %q, want %q", r.FulfillmentText, want)
			}
			if logs := e.logs.String(); !strings.Contains(logs, `"level":"ERROR"`) || !strings.Contains(logs, "reservation.list") {
				t.Errorf("the failure is not logged:\n%s", logs)
			}
		})
	}
}
