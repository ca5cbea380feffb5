package redis

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
)

// realCluster is a Redis Cluster of 3 masters and 3 replicas started by a test: six redis-server processes with
// cluster-enabled on loopback ports ≤ 55535 (each node's cluster bus is its port + 10000), in a temporary
// directory, joined by redis-cli --cluster create. Cleanup kills every process.
type realCluster struct {
	dir   string
	ports []int
	procs map[int]*exec.Cmd
}

// clusterNodes is the cluster's size: three masters, each with one replica.
const clusterNodes = 6

// nodeTimeout is cluster-node-timeout: a master unreachable this long is failed over to its replica.
const nodeTimeout = 1000 * time.Millisecond

// startCluster starts a cluster and waits until every node reports cluster_state:ok and every master has its
// replica in sync. Without redis-server or redis-cli on PATH it skips (fails under CI=true).
func startCluster(tb testing.TB) *realCluster {
	tb.Helper()
	server, err1 := exec.LookPath("redis-server")
	cli, err2 := exec.LookPath("redis-cli")
	if err1 != nil || err2 != nil {
		unreachable(tb, "a real Redis Cluster needs redis-server and redis-cli on PATH")
	}
	rc := &realCluster{dir: tb.TempDir(), procs: map[int]*exec.Cmd{}}
	tb.Cleanup(rc.stop)
	rc.ports = clusterPorts(tb, clusterNodes)
	for _, p := range rc.ports {
		rc.startNode(tb, server, p)
	}
	for _, p := range rc.ports {
		waitFor(tb, 10*time.Second, fmt.Sprintf("node %d answers", p), func() bool {
			return rc.info(p, false, "role") != ""
		})
	}
	args := []string{"--cluster", "create"}
	for _, p := range rc.ports {
		args = append(args, "127.0.0.1:"+strconv.Itoa(p))
	}
	args = append(args, "--cluster-replicas", "1", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		tb.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	rc.waitHealthy(tb)
	return rc
}

// clusterPorts finds n free loopback ports ≤ 55535 whose bus ports (+10000) are free too.
func clusterPorts(tb testing.TB, n int) []int {
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

func (rc *realCluster) startNode(tb testing.TB, server string, port int) {
	tb.Helper()
	dir := filepath.Join(rc.dir, strconv.Itoa(port))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(server, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
		"--cluster-node-timeout", strconv.Itoa(int(nodeTimeout.Milliseconds())),
		"--cluster-replica-validity-factor", "0", "--appendonly", "no", "--save", "", "--logfile", "redis.log")
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start redis-server on %d: %v", port, err)
	}
	rc.procs[port] = cmd
}

// stop kills every node still running and waits for it.
func (rc *realCluster) stop() {
	for p, cmd := range rc.procs {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		delete(rc.procs, p)
	}
}

// kill SIGKILLs the node on port.
func (rc *realCluster) kill(tb testing.TB, port int) {
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

// node is a plain client of the node on port, closed at the end of the test run.
func (rc *realCluster) node(port int) *goredis.Client {
	return goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), DialTimeout: time.Second,
		ReadTimeout: 2 * time.Second, MaxRetries: -1, DisableIdentity: true, PoolSize: 2})
}

// info returns one field of a node's CLUSTER INFO or INFO section ("" when unreachable).
func (rc *realCluster) info(port int, clusterInfo bool, field string) string {
	c := rc.node(port)
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

// waitHealthy waits until every running node says cluster_state:ok and knows every node, and every master has
// a replica in sync (so that WAIT 1 can be answered).
func (rc *realCluster) waitHealthy(tb testing.TB) {
	tb.Helper()
	waitFor(tb, 30*time.Second, "cluster_state:ok on every node, replicas in sync", func() bool {
		masters := 0
		for p := range rc.procs {
			if rc.info(p, true, "cluster_state") != "ok" || rc.info(p, true, "cluster_known_nodes") != strconv.Itoa(clusterNodes) {
				return false
			}
			if rc.info(p, false, "role") == "master" {
				if !strings.Contains(rc.info(p, false, "slave0"), "state=online") {
					return false
				}
				masters++
			}
		}
		return masters == 3
	})
}

// masterOf returns the port of the master serving key's slot (CLUSTER KEYSLOT, then CLUSTER NODES), as seen
// from the node on from.
func (rc *realCluster) masterOf(tb testing.TB, from int, key string) int {
	tb.Helper()
	p := slotOwnerOrZero(rc, from, key)
	if p == 0 {
		tb.Fatalf("no connected master serves the slot of %s", key)
	}
	return p
}

// slotOwner reads CLUSTER NODES output: the port of the connected master whose ranges hold slot, 0 if none.
func slotOwner(nodes string, slot int64) int {
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

// url is a redis-cluster:// store URL naming every running node, with extra query options.
func (rc *realCluster) url(extra string) string {
	u := "redis-cluster://127.0.0.1:" + strconv.Itoa(rc.ports[0]) + "?"
	for _, p := range rc.ports[1:] {
		u += "addr=127.0.0.1:" + strconv.Itoa(p) + "&"
	}
	return u + extra
}

// client is a ClusterClient on the cluster with the options Open uses, closed at cleanup.
func (rc *realCluster) client(tb testing.TB) *goredis.ClusterClient {
	tb.Helper()
	u, err := ParseURL(rc.url(""))
	if err != nil {
		tb.Fatal(err)
	}
	c := u.NewClient(testTimeout).(*goredis.ClusterClient)
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// waitFor polls cond every 50 ms until it holds, failing tb after limit.
func waitFor(tb testing.TB, limit time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
