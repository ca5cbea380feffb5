// Package redistest starts real Redis servers for tests: a Redis Cluster of 3 masters and 3 replicas on loopback
// ports, or single servers (replicas, sentinels), each in a temporary directory and killed at the end of the
// test. Without redis-server (and redis-cli for a cluster) on PATH the tests skip, except under CI=true where
// they fail (internal/testsupport.SkipUnlessCI).
package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/reservations/reservations/internal/testsupport"
)

// Servers are redis-server processes a test started, by port, in a temporary directory.
type Servers struct {
	dir   string
	procs map[int]*exec.Cmd
}

// NewServers returns an empty set whose processes are killed at the end of tb.
func NewServers(tb testing.TB) *Servers {
	tb.Helper()
	s := &Servers{dir: tb.TempDir(), procs: map[int]*exec.Cmd{}}
	tb.Cleanup(s.Stop)
	return s
}

// Dir is the set's temporary directory.
func (rc *Servers) Dir() string { return rc.dir }

// Running lists the ports of the servers still running.
func (rc *Servers) Running() []int {
	out := make([]int, 0, len(rc.procs))
	for p := range rc.procs {
		out = append(out, p)
	}
	return out
}

// NodeDir is the directory of the server on port: its data, its log (redis.log) and a cluster node's nodes.conf.
func (rc *Servers) NodeDir(port int) string { return filepath.Join(rc.dir, strconv.Itoa(port)) }

// Start runs redis-server on port (bound to 127.0.0.1, no persistence, in NodeDir(port)) with
// args first (a config file, --sentinel, --replicaof …). It skips tb (fails under CI=true) without redis-server.
func (rc *Servers) Start(tb testing.TB, port int, args ...string) {
	tb.Helper()
	server, err := exec.LookPath("redis-server")
	if err != nil {
		testsupport.SkipUnlessCI(tb, "needs redis-server on PATH")
	}
	dir := rc.NodeDir(port)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		tb.Fatal(err)
	}
	args = append(args, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "",
		"--appendonly", "no", "--logfile", "redis.log")
	cmd := exec.Command(server, args...)
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start redis-server on %d: %v", port, err)
	}
	rc.procs[port] = cmd
}

// Cluster is a Redis Cluster of 3 masters and 3 replicas started by a test: six redis-server processes with
// cluster-enabled on loopback ports ≤ 55535 (each node's cluster bus is its port + 10000), each in a directory
// of its own, joined by redis-cli --cluster create. The test's cleanup kills every process.
type Cluster struct {
	*Servers
	// Ports are the nodes' ports, in the order given to redis-cli --cluster create.
	Ports []int
}

// clusterNodes is the cluster's size: three masters, each with one replica.
const clusterNodes = 6

// nodeTimeout is cluster-node-timeout: a master unreachable this long is failed over to its replica.
const nodeTimeout = 1000 * time.Millisecond

// startCluster starts a cluster and waits until every node reports cluster_state:ok and every master has its
// replica in sync. Without redis-server or redis-cli on PATH it skips (fails under CI=true).
func StartCluster(tb testing.TB) *Cluster {
	tb.Helper()
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		testsupport.SkipUnlessCI(tb, "a real Redis Cluster needs redis-server and redis-cli on PATH")
	}
	rc := &Cluster{Servers: NewServers(tb), Ports: FreePorts(tb, clusterNodes)}
	for _, p := range rc.Ports {
		rc.startNode(tb, p)
	}
	for _, p := range rc.Ports {
		WaitFor(tb, 10*time.Second, fmt.Sprintf("node %d answers", p), func() bool {
			return rc.Info(p, false, "role") != ""
		})
	}
	args := []string{"--cluster", "create"}
	for _, p := range rc.Ports {
		args = append(args, "127.0.0.1:"+strconv.Itoa(p))
	}
	args = append(args, "--cluster-replicas", "1", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		tb.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	rc.WaitHealthy(tb)
	return rc
}

// clusterPorts finds n free loopback ports ≤ 55535 whose bus ports (+10000) are free too.
func FreePorts(tb testing.TB, n int) []int {
	tb.Helper()
	var out []int
	seen := map[int]bool{}
	for tries := 0; len(out) < n; tries++ {
		if tries > 1000 {
			tb.Fatal("no free loopback ports ≤ 55535")
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		if p > 55535 || seen[p] || seen[p+10000] {
			continue
		}
		if bus, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p+10000)); err == nil {
			_ = bus.Close()
			seen[p], seen[p+10000] = true, true
			out = append(out, p)
		}
	}
	return out
}

func (rc *Cluster) startNode(tb testing.TB, port int) {
	tb.Helper()
	rc.Start(tb, port, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
		"--cluster-node-timeout", strconv.Itoa(int(nodeTimeout.Milliseconds())), "--cluster-replica-validity-factor", "0")
}

// Restart starts the node on port again on its directory (its nodes.conf makes it rejoin the cluster, as the
// replica of whichever node took over its slots) and waits until the cluster is healthy.
func (rc *Cluster) Restart(tb testing.TB, port int) {
	tb.Helper()
	rc.startNode(tb, port)
	rc.WaitHealthy(tb)
}

// Stop kills every server still running and waits for it.
func (rc *Servers) Stop() {
	for p, cmd := range rc.procs {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		delete(rc.procs, p)
	}
}

// Kill SIGKILLs the server on port.
func (rc *Servers) Kill(tb testing.TB, port int) {
	tb.Helper()
	cmd, ok := rc.procs[port]
	if !ok {
		tb.Fatalf("no node on %d", port)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		tb.Fatal(err)
	}
	_ = cmd.Wait()
	delete(rc.procs, port)
}

// Node is a plain client of the server on port; the caller closes it.
func (rc *Servers) Node(port int) *goredis.Client {
	return goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), DialTimeout: time.Second,
		ReadTimeout: 2 * time.Second, MaxRetries: -1, DisableIdentity: true, PoolSize: 2})
}

// Info returns one field of a node's CLUSTER INFO or INFO section ("" when unreachable).
func (rc *Servers) Info(port int, clusterInfo bool, field string) string {
	c := rc.Node(port)
	defer func() { _ = c.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var text string
	var err error
	if clusterInfo {
		text, err = c.ClusterInfo(ctx).Result()
	} else {
		text, err = c.Info(ctx, "replication").Result()
	}
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok && k == field {
			return v
		}
	}
	return ""
}

// WaitHealthy waits until every running node says cluster_state:ok and knows every node, and every master has
// a replica that acknowledges its writes (a write followed by WAIT 1 answers 1: just after the cluster is made,
// a replica online for INFO may not acknowledge yet).
func (rc *Cluster) WaitHealthy(tb testing.TB) {
	tb.Helper()
	WaitFor(tb, 30*time.Second, "cluster_state:ok on every node, every master's writes acknowledged by its replica", func() bool {
		masters := 0
		for p := range rc.procs {
			if rc.Info(p, true, "cluster_state") != "ok" || rc.Info(p, true, "cluster_known_nodes") != strconv.Itoa(clusterNodes) {
				return false
			}
			if rc.Info(p, false, "role") == "master" {
				if !rc.acknowledged(p) {
					return false
				}
				masters++
			}
		}
		return masters == 3
	})
}

// acknowledged reports whether a write to the master on port is acknowledged by one replica within 100 ms.
func (rc *Cluster) acknowledged(port int) bool {
	key := ""
	for i := range 1000 {
		if k := "{redistest-" + strconv.Itoa(i) + "}"; rc.SlotOwnerOf(port, k) == port {
			key = k
			break
		}
	}
	if key == "" {
		return false
	}
	c := rc.Node(port)
	defer func() { _ = c.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	pipe := c.Pipeline()
	pipe.Set(ctx, key, "1", time.Minute)
	n := goredis.NewIntCmd(ctx, "wait", 1, 100)
	_ = pipe.Process(ctx, n)
	_, _ = pipe.Exec(ctx)
	return n.Val() == 1
}

// MasterOf returns the port of the master serving key's slot (CLUSTER KEYSLOT, then CLUSTER NODES), as seen
// from the node on from.
func (rc *Cluster) MasterOf(tb testing.TB, from int, key string) int {
	tb.Helper()
	p := rc.SlotOwnerOf(from, key)
	if p == 0 {
		tb.Fatalf("no connected master serves the slot of %s", key)
	}
	return p
}

// SlotOwner reads CLUSTER NODES output: the port of the connected master whose ranges hold slot, 0 if none.
func SlotOwner(nodes string, slot int64) int {
	for _, line := range strings.Split(strings.TrimSpace(nodes), "\n") {
		f := strings.Fields(line)
		if len(f) < 8 || !strings.Contains(f[2], "master") || strings.Contains(f[2], "fail") || f[7] != "connected" {
			continue
		}
		for _, r := range f[8:] {
			lo, hi, ok := strings.Cut(r, "-")
			if !ok {
				hi = lo
			}
			a, err1 := strconv.ParseInt(lo, 10, 64)
			b, err2 := strconv.ParseInt(hi, 10, 64)
			if err1 == nil && err2 == nil && a <= slot && slot <= b {
				addr, _, _ := strings.Cut(f[1], "@")
				_, port, _ := net.SplitHostPort(addr)
				p, _ := strconv.Atoi(port)
				return p
			}
		}
	}
	return 0
}

// URL is a redis-cluster:// store URL naming every running node, with extra query options.
func (rc *Cluster) URL(extra string) string {
	u := "redis-cluster://127.0.0.1:" + strconv.Itoa(rc.Ports[0]) + "?"
	for _, p := range rc.Ports[1:] {
		u += "addr=127.0.0.1:" + strconv.Itoa(p) + "&"
	}
	return u + extra
}

// SlotOwnerOf is MasterOf without failing: 0 while no connected master serves the key's slot, as seen from
// the node on from.
func (rc *Cluster) SlotOwnerOf(from int, key string) int {
	c := rc.Node(from)
	defer func() { _ = c.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	slot, err := c.ClusterKeySlot(ctx, key).Result()
	if err != nil {
		return 0
	}
	nodes, err := c.ClusterNodes(ctx).Result()
	if err != nil {
		return 0
	}
	return SlotOwner(nodes, slot)
}

// WaitFor polls cond every 50 ms until it holds, failing tb after limit.
func WaitFor(tb testing.TB, limit time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
