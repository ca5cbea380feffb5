package fulfillment

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkDecisionTurn measures one webhook turn end to end through App.Dialogflow(): reading and parsing the
// seed's decision-turn request, dispatching it, and writing a proposal (TRANSACTION_DECISION with the seed's
// full order, validated and encoded). Run with -cpu 1 for the single-core rate (turns/s).
func BenchmarkDecisionTurn(b *testing.B) {
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
	h := app.Dialogflow()
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	cpu0 := processCPU()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/fulfillment/dialogflow", bytes.NewReader(body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK || w.Body.Len() < 1500 {
			b.Fatalf("status %d, %d bytes: %s", w.Code, w.Body.Len(), w.Body.String())
		}
	}
	// Wall-clock rate, and the rate the process's CPU time allows (what one free core would do: the two differ
	// when other processes share the machine).
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "turns/s")
	if cpu := processCPU() - cpu0; cpu > 0 && cpu0 >= 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "turns/cpu-s")
	}
}
