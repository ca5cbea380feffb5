package redis

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/redis/redistest"
)

// TestSentinelWaitReplicas starts a master, its replica and a sentinel, opens the store with
// redis-sentinel://…?master_name=…&wait_replicas=1 (a failover client) and with redis://…?wait_replicas=1, and
// shows that commits are confirmed while the replica acknowledges and refused with a ReplicationError (no
// business code) once it is gone.
func TestSentinelWaitReplicas(t *testing.T) {
	rc := redistest.NewServers(t)
	ports := redistest.FreePorts(t, 3)
	master, replica, sentinel := ports[0], ports[1], ports[2]
	start := func(port int, args ...string) { rc.Start(t, port, args...) }
	start(master)
	start(replica, "--replicaof", "127.0.0.1", strconv.Itoa(master))
	conf := filepath.Join(rc.Dir(), "sentinel.conf")
	if err := os.WriteFile(conf, []byte("sentinel monitor main 127.0.0.1 "+strconv.Itoa(master)+" 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	start(sentinel, conf, "--sentinel")
	redistest.WaitFor(t, 10*time.Second, "the replica in sync", func() bool {
		return rc.Info(replica, false, "master_link_status") == "up"
	})
	ctx := tctx(t)
	urls := map[string]string{
		"sentinel": "redis-sentinel://127.0.0.1:" + strconv.Itoa(sentinel) + "/0?master_name=main&wait_replicas=1",
		"single":   "redis://127.0.0.1:" + strconv.Itoa(master) + "/0?wait_replicas=1",
	}
	stores := map[string]*Store{}
	for name, u := range urls {
		var s *Store
		redistest.WaitFor(t, 10*time.Second, "the store opens through "+name, func() bool {
			var err error
			s, err = Open(ctx, u, Options{Prefix: randomPrefix(t), Timeout: testTimeout})
			return err == nil
		})
		t.Cleanup(func() { _ = s.Close() })
		stores[name] = s
	}
	for name, s := range stores {
		b := newBooking("b-"+name, "bistro", "u1", t0.Add(48*time.Hour), 2)
		if err := s.Commit(ctx, &booking.Mutation{MerchantID: "bistro", Now: t0, Booking: b, Claim: claimFor(b, 40)}); err != nil {
			t.Fatalf("%s: commit with the replica up: %v", name, err)
		}
	}
	rc.Kill(t, replica)
	for name, s := range stores {
		s.waitTimeout = 100 * time.Millisecond
		b := newBooking("c-"+name, "bistro", "u2", t0.Add(48*time.Hour), 2)
		wantReplicationError(t, s.Commit(ctx, &booking.Mutation{MerchantID: "bistro", Now: t0, Booking: b, Claim: claimFor(b, 40)}), 0)
		if got, err := s.Booking(ctx, b.ID); err != nil || got.ID != b.ID {
			t.Fatalf("%s: the unconfirmed booking is not on the master: %v", name, err)
		}
	}
}
