package redis

import (
	"errors"
	"strconv"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/redis/redistest"
	"github.com/reservations/reservations/booking/storetest"
	"github.com/reservations/reservations/internal/testsupport"
)

// TestRealCluster starts a Redis Cluster of 3 masters and 3 replicas and runs, against it, the conformance suite
// through a ClusterClient (without and with wait_replicas=1), the cross-instance races (commits for one start and
// outbox claims from two stores on two clients), and last the failover of the master holding a merchant's slot.
// The cluster's keys are not cleaned up: the cluster goes with the test.
func TestRealCluster(t *testing.T) {
	rc := redistest.StartCluster(t)
	t.Run("Conformance", func(t *testing.T) {
		c := clusterClient(t, rc)
		storetest.Run(t, func(t *testing.T) booking.Store {
			return New(c, Options{Prefix: randomPrefix(t), Timeout: testTimeout})
		})
	})
	t.Run("ConformanceWaitReplicas", func(t *testing.T) {
		c := clusterClient(t, rc)
		storetest.Run(t, func(t *testing.T) booking.Store {
			return New(c, Options{Prefix: randomPrefix(t), Timeout: testTimeout, WaitReplicas: 1})
		})
	})
	t.Run("ConcurrentClaimsTwoInstances", func(t *testing.T) {
		prefix := randomPrefix(t)
		concurrentClaims(t, New(clusterClient(t, rc), Options{Prefix: prefix, Timeout: testTimeout}),
			New(clusterClient(t, rc), Options{Prefix: prefix, Timeout: testTimeout, WaitReplicas: 1}))
	})
	t.Run("TwoStoresClaim", func(t *testing.T) {
		prefix := randomPrefix(t)
		twoStoresClaim(t, New(clusterClient(t, rc), Options{Prefix: prefix, Timeout: testTimeout}),
			New(clusterClient(t, rc), Options{Prefix: prefix, Timeout: testTimeout}))
	})
	t.Run("NotEnoughReplicas", func(t *testing.T) {
		// Three replicas cannot acknowledge on a cluster with one per master.
		ctx := tctx(t)
		s := New(clusterClient(t, rc), Options{Prefix: randomPrefix(t), Timeout: testTimeout, WaitReplicas: 3, WaitTimeout: 50 * time.Millisecond})
		b := newBooking("b1", "bistro", "", t0.Add(48*time.Hour), 2)
		m := &booking.Mutation{MerchantID: "bistro", Now: t0, Booking: b, Claim: claimFor(b, 40)}
		// A new booking's pointer is written (and waited for) before the commit script: refused there, nothing
		// of the booking is written.
		wantReplicationError(t, s.Commit(ctx, m), 1)
		if _, err := s.Booking(ctx, "b1"); booking.CodeOf(err) != booking.CodeNotFound {
			t.Fatalf("booking after a refused registry write: %v, want NOT_FOUND", err)
		}
		s.wait = 1
		if err := s.Commit(ctx, m); err != nil {
			t.Fatal(err)
		}
		// An update needs no registry write: the script runs, and its WAIT falls short.
		s.wait = 3
		b2 := *b
		b2.Version, b2.PartySize = 2, 3
		wantReplicationError(t, s.Commit(ctx, &booking.Mutation{MerchantID: "bistro", Now: t0, Booking: &b2, ExpectVersion: 1}), 1)
		if got, err := s.Booking(ctx, "b1"); err != nil || got.Version != 2 {
			t.Fatalf("the unconfirmed update is not on the master: %+v %v", got, err)
		}
	})
	t.Run("Failover", func(t *testing.T) { testFailover(t, rc) })
}

// testFailover books through the core on a store opened with wait_replicas=1, SIGKILLs the master owning the
// merchant's slot and shows: while it is down the core answers an infrastructure error; once its replica is
// promoted a store without wait_replicas writes again, one with wait_replicas=1 refuses to confirm (the new master
// has no replica) until the killed node is back as the new master's replica; every acknowledged booking is
// still there, read through a new client.
func testFailover(t *testing.T, rc *redistest.Cluster) {
	ctx := tctx(t)
	prefix := randomPrefix(t)
	open := func(extra string) *booking.Core {
		s, err := Open(ctx, rc.URL(extra), Options{Prefix: prefix, Timeout: testTimeout})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return coreOn(t, s)
	}
	waiting, plain := open("wait_replicas=1"), open("")
	var acked []string
	book := func(svc *booking.Core, i int) error {
		b, err := svc.CreateBooking(ctx, failoverBooking(i))
		if err == nil {
			acked = append(acked, b.ID)
		}
		return err
	}
	for i := range 10 {
		if err := book(waiting, i); err != nil {
			t.Fatalf("booking %d before the failover: %v", i, err)
		}
	}

	tagKey := "{" + prefix + ":m:" + booking.SampleMerchantID + "}:bj"
	master := rc.MasterOf(t, rc.Ports[0], tagKey)
	rc.Kill(t, master)
	err := book(waiting, 100)
	if err == nil || booking.CodeOf(err) != "" {
		t.Fatalf("booking while the merchant's master is down: %v, want an infrastructure error", err)
	}
	other := rc.Ports[0]
	if other == master {
		other = rc.Ports[1]
	}
	redistest.WaitFor(t, 20*time.Second, "the replica's promotion", func() bool {
		p := rc.SlotOwnerOf(other, tagKey)
		return p != 0 && p != master
	})
	retryUntil(t, "a write without wait_replicas after the promotion", func() error { return book(plain, 200) })
	// The waiting store's client may still name the dead node for a moment: infrastructure errors until it
	// reaches the promoted one, which has no replica to acknowledge.
	retryUntil(t, "wait_replicas=1 with no replica", func() error {
		err := book(waiting, 300)
		if err == nil {
			t.Fatal("a write with wait_replicas=1 confirmed on a master without replica")
		}
		var re *ReplicationError
		if errors.As(err, &re) {
			wantReplicationError(t, err, 0)
			return nil
		}
		return err
	})
	rc.Restart(t, master) // it rejoins as the replica of the promoted node
	retryUntil(t, "a write with wait_replicas=1 once a replica is back", func() error { return book(waiting, 400) })

	s2, err := Open(ctx, rc.URL(""), Options{Prefix: prefix, Timeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s2.Close() }()
	for _, id := range acked {
		if _, err := s2.Booking(ctx, id); err != nil {
			t.Errorf("acknowledged booking %s after the failover: %v", id, err)
		}
	}
	if len(acked) != 12 {
		t.Fatalf("%d acknowledged bookings, want 12", len(acked))
	}
}

// clusterClient is a ClusterClient on rc with the options Open uses, closed at cleanup.
func clusterClient(tb testing.TB, rc *redistest.Cluster) *goredis.ClusterClient {
	tb.Helper()
	u, err := ParseURL(rc.URL(""))
	if err != nil {
		tb.Fatal(err)
	}
	c := u.NewClient(testTimeout).(*goredis.ClusterClient)
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// wantReplicationError checks that err is a *ReplicationError of acked out of more, and no business error.
func wantReplicationError(t *testing.T, err error, acked int64) {
	t.Helper()
	var re *ReplicationError
	if !errors.As(err, &re) || re.Acked != acked || re.Want <= acked || booking.CodeOf(err) != "" {
		t.Fatalf("got %v, want a ReplicationError with %d acknowledgements", err, acked)
	}
}

// coreOn is the booking core over st with the conformance suite's inventory and a clock at its start.
func coreOn(t *testing.T, st booking.Store) *booking.Core {
	t.Helper()
	svc, err := booking.NewService(booking.Config{Store: st, Inventory: storetest.TestInventory(),
		Now: testsupport.NewClock(failoverNow).Now})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// failoverNow is the clock of the failover test: Monday 2 March 2026, 09:00 in Los Angeles (17:00 UTC).
var failoverNow = time.Date(2026, 3, 2, 17, 0, 0, 0, time.UTC)

// failoverBooking is the i-th dinner for two of the failover test, at 17:00–20:00 in Los Angeles on one of 20
// days.
func failoverBooking(i int) booking.CreateRequest {
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		panic(err)
	}
	start := time.Date(2026, 3, 3+i%20, 17+i%4, 0, 0, 0, la)
	user := "guest-" + strconv.Itoa(i)
	return booking.CreateRequest{MerchantID: booking.SampleMerchantID, ServiceID: "dinner", Start: start, PartySize: 2,
		Customer: booking.Customer{Name: "Guest " + user, UserID: user}, Source: booking.SourceAdmin}
}

// retryUntil calls f every 100 ms until it succeeds, failing after 15 s; each failure must be an
// infrastructure error.
func retryUntil(t *testing.T, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if booking.CodeOf(err) != "" {
			t.Fatalf("%s: %v, want success or an infrastructure error", what, err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still failing after 15 s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// BenchmarkClusterStore runs the shared store benchmarks against a real 3+3 cluster through a ClusterClient,
// without and with wait_replicas=1; server-cpu-µs/booking sums the six nodes.
func BenchmarkClusterStore(b *testing.B) {
	rc := redistest.StartCluster(b)
	cpu := func() time.Duration {
		var total time.Duration
		for _, p := range rc.Running() {
			c := rc.Node(p)
			total += serverCPU(b, c)
			_ = c.Close()
		}
		return total
	}
	for _, wait := range []int{0, 1} {
		b.Run("wait_replicas="+strconv.Itoa(wait), func(b *testing.B) {
			c := clusterClient(b, rc)
			storetest.BenchWith(b, func(b *testing.B) booking.Store {
				return New(c, Options{Prefix: randomPrefix(b), Timeout: testTimeout, WaitReplicas: wait})
			}, cpu)
		})
	}
}
