package fulfillment

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/reservations/reservations/internal/proccpu"
)

// decisionTurnHandler is the App.Dialogflow() handler the decision-turn benchmarks call, answering seed 001's
// decision-turn request with a proposal of the seed's full order, and that request's body.
func decisionTurnHandler(b *testing.B) (http.Handler, []byte) {
	body := readFile(b, "08_decision_request.dialogflow.json")
	order := seedOrder(b, "06_propose_order_response.dialogflow.json", "payload", "google", "systemIntent", "data", "order")
	app := NewApp(nil)
	app.Handle("reservation_get_transaction_decision_df", func(_ context.Context, c *Conv) error {
		return c.ProposeOrder(Proposal{
			Order: order,
			OrderOptions: &OrderOptions{UserInfoOptions: &UserInfoOptions{
				UserInfoProperties: []UserInfoProperty{UserInfoEmail}}},
		})
	})
	return app.Dialogflow(), body
}

// cpuSeconds is the process's CPU time so far in seconds, or -1 when unknown.
func cpuSeconds() float64 {
	d, ok := proccpu.Used()
	if !ok {
		return -1
	}
	return d.Seconds()
}

// reportTurns reports the wall-clock rate, and the rate the process's CPU time allows (what one free core would
// do: the two differ when other processes share the machine).
func reportTurns(b *testing.B, cpu0 float64) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "turns/s")
	if cpu := cpuSeconds() - cpu0; cpu > 0 && cpu0 >= 0 {
		b.ReportMetric(float64(b.N)/cpu, "turns/cpu-s")
	}
}

// benchWriter is a reusable http.ResponseWriter that keeps the status and the body.
type benchWriter struct {
	header http.Header
	code   int
	body   []byte
}

func (w *benchWriter) Header() http.Header { return w.header }

func (w *benchWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *benchWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	w.body = append(w.body, p...)
	return len(p), nil
}

// BenchmarkDecisionTurn measures one webhook turn end to end through App.Dialogflow(): reading and parsing the
// seed's decision-turn request, dispatching it, and writing a proposal (TRANSACTION_DECISION with the seed's
// full order, validated and encoded). Run with -cpu 1 for the single-core rate (turns/s).
//
// The request is an *http.Request as net/http's server hands it to a handler (a new one per turn, the body
// streamed from memory) and the writer a reusable recorder, so the loop measures the handler rather than
// net/http/httptest, whose NewRequest parses an HTTP/1.1 text request through a fresh 4 KiB bufio.Reader on
// every call (a server reuses its per-connection reader); BenchmarkDecisionTurnHTTPTest keeps that harness.
func BenchmarkDecisionTurn(b *testing.B) {
	h, body := decisionTurnHandler(b)
	u := &url.URL{Path: "/fulfillment/dialogflow"}
	hdr := http.Header{"Content-Type": {"application/json"}}
	w := &benchWriter{header: http.Header{}}
	rd := bytes.NewReader(body)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	cpu0 := cpuSeconds()
	for b.Loop() {
		rd.Reset(body)
		req := (&http.Request{Method: http.MethodPost, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: hdr, Body: nopBody{rd}, ContentLength: int64(len(body)), Host: "example.com",
			RequestURI: "/fulfillment/dialogflow"})
		clear(w.header)
		w.code, w.body = 0, w.body[:0]
		h.ServeHTTP(w, req)
		if w.code != http.StatusOK || len(w.body) < 1500 {
			b.Fatalf("status %d, %d bytes: %s", w.code, len(w.body), w.body)
		}
	}
	reportTurns(b, cpu0)
}

// nopBody is a request body over a reusable reader.
type nopBody struct{ *bytes.Reader }

func (nopBody) Close() error { return nil }

// BenchmarkDecisionTurnHTTPTest is BenchmarkDecisionTurn with the original harness: httptest.NewRequest and
// httptest.NewRecorder on every turn.
func BenchmarkDecisionTurnHTTPTest(b *testing.B) {
	h, body := decisionTurnHandler(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	cpu0 := cpuSeconds()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/fulfillment/dialogflow", bytes.NewReader(body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK || w.Body.Len() < 1500 {
			b.Fatalf("status %d, %d bytes: %s", w.Code, w.Body.Len(), w.Body.String())
		}
	}
	reportTurns(b, cpu0)
}
