package redis

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// The topologies a store URL can name (URL.Topology).
const (
	TopologySingle   = "single"   // redis:// or rediss://: one Redis server (a *redis.Client)
	TopologyCluster  = "cluster"  // redis-cluster:// or rediss-cluster://: Redis Cluster (a *redis.ClusterClient)
	TopologySentinel = "sentinel" // redis-sentinel:// or rediss-sentinel://: a master found through Sentinel
)

// URL is a parsed store URL (see [ParseURL]). It holds no connection; [URL.NewClient] makes the client.
type URL struct {
	// Topology is TopologySingle, TopologyCluster or TopologySentinel.
	Topology string
	// WaitReplicas is the URL's wait_replicas option (0 when absent): see Options.WaitReplicas.
	WaitReplicas int
	// Addr names the server, the first cluster node or the first sentinel, for messages (no credentials).
	Addr string

	single   *goredis.Options
	cluster  *goredis.ClusterOptions
	failover *goredis.FailoverOptions
}

// schemes maps each store URL scheme to its topology and the scheme go-redis's parsers read.
var schemes = map[string]struct{ topology, goScheme string }{
	"redis":           {TopologySingle, "redis"},
	"rediss":          {TopologySingle, "rediss"},
	"redis-cluster":   {TopologyCluster, "redis"},
	"rediss-cluster":  {TopologyCluster, "rediss"},
	"redis-sentinel":  {TopologySentinel, "redis"},
	"rediss-sentinel": {TopologySentinel, "rediss"},
}

// IsStoreScheme reports whether scheme (case-insensitive) is one [ParseURL] reads.
func IsStoreScheme(scheme string) bool {
	_, ok := schemes[strings.ToLower(scheme)]
	return ok
}

// defaultSentinelPort is the port of a sentinel named without one.
const defaultSentinelPort = "26379"

// ParseURL reads a store URL:
//
//	redis://[user:pass@]host:port/db, rediss://…                     one server (go-redis ParseURL options)
//	redis-cluster://[user:pass@]host:port?addr=host:port&addr=…      Redis Cluster (go-redis ParseClusterURL options)
//	rediss-cluster://…                                               the same over TLS
//	redis-sentinel://[user:pass@]host:port/db?addr=…&master_name=NAME  the master Sentinel names (TLS: rediss-sentinel)
//
// Every scheme also takes wait_replicas=N (see Options.WaitReplicas), removed before go-redis reads the query.
// For Sentinel, host:port and each addr are sentinels (port 26379 when omitted); user:pass and the other options
// (go-redis ParseURL's) are those of the master and its replicas; the sentinels are reached without AUTH.
// Errors never contain the URL (it may hold a password).
func ParseURL(storeURL string) (*URL, error) {
	u, err := url.Parse(storeURL)
	if err != nil {
		return nil, redactURLError(err)
	}
	sc, ok := schemes[strings.ToLower(u.Scheme)]
	if !ok {
		return nil, errors.New("unknown scheme (want redis, rediss, redis-cluster, rediss-cluster, redis-sentinel or rediss-sentinel)")
	}
	q := u.Query()
	out := &URL{Topology: sc.topology}
	if v, ok := q["wait_replicas"]; ok {
		n, err := strconv.Atoi(v[len(v)-1])
		if err != nil || n < 0 {
			return nil, fmt.Errorf("wait_replicas=%q is not a number of replicas (0 or more)", v[len(v)-1])
		}
		out.WaitReplicas = n
		q.Del("wait_replicas")
	}
	u.Scheme = sc.goScheme
	switch sc.topology {
	case TopologyCluster:
		u.RawQuery = q.Encode()
		out.cluster, err = goredis.ParseClusterURL(u.String())
		if err == nil {
			out.Addr = out.cluster.Addrs[0]
		}
	case TopologySentinel:
		out.failover, err = parseSentinel(u, q)
		if err == nil {
			out.Addr = out.failover.SentinelAddrs[0]
		}
	default:
		u.RawQuery = q.Encode()
		out.single, err = goredis.ParseURL(u.String())
		if err == nil {
			out.Addr = out.single.Addr
		}
	}
	if err != nil {
		return nil, redactURLError(err)
	}
	return out, nil
}

// parseSentinel reads a redis-sentinel URL (already mapped to redis:// or rediss://, q its query without
// wait_replicas): the master's options as go-redis ParseURL reads them, then the sentinels and the master name.
func parseSentinel(u *url.URL, q url.Values) (*goredis.FailoverOptions, error) {
	name := q.Get("master_name")
	if name == "" {
		return nil, errors.New("a redis-sentinel URL needs master_name=NAME (the master's name in the sentinels' configuration)")
	}
	sentinels := []string{withDefaultPort(u.Host, defaultSentinelPort)}
	for _, a := range q["addr"] {
		h, p, err := net.SplitHostPort(a)
		if err != nil || h == "" || p == "" {
			return nil, fmt.Errorf("addr=%q is not host:port", a)
		}
		sentinels = append(sentinels, net.JoinHostPort(h, p))
	}
	q.Del("master_name")
	q.Del("addr")
	mu := *u
	mu.RawQuery = q.Encode()
	o, err := goredis.ParseURL(mu.String())
	if err != nil {
		return nil, err
	}
	return &goredis.FailoverOptions{
		MasterName: name, SentinelAddrs: sentinels,
		Username: o.Username, Password: o.Password, DB: o.DB, TLSConfig: o.TLSConfig, ClientName: o.ClientName,
		Protocol: o.Protocol, PoolSize: o.PoolSize, PoolFIFO: o.PoolFIFO, MinIdleConns: o.MinIdleConns,
		MaxIdleConns: o.MaxIdleConns, MaxActiveConns: o.MaxActiveConns, ConnMaxIdleTime: o.ConnMaxIdleTime,
		ConnMaxLifetime: o.ConnMaxLifetime,
	}, nil
}

// withDefaultPort adds port to a host named without one.
func withDefaultPort(host, port string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	h := strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if h == "" {
		h = "localhost"
	}
	return net.JoinHostPort(h, port)
}

// NewClient returns a client for the URL with the pool size, timeouts and retry policy of [ClientOptions]
// (timeout per round trip; [DefaultTimeout] when 0): a *redis.Client for one server or Sentinel's master, a
// *redis.ClusterClient for Cluster. It dials nothing yet.
func (u *URL) NewClient(timeout time.Duration) goredis.UniversalClient {
	switch {
	case u.cluster != nil:
		o := *u.cluster
		k := connKnobs{&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout, &o.DialerRetries,
			&o.MaxRetries, &o.PoolSize, &o.ContextTimeoutEnabled, &o.DisableIdentity}
		k.apply(timeout)
		return goredis.NewClusterClient(&o)
	case u.failover != nil:
		o := *u.failover
		k := connKnobs{&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout, &o.DialerRetries,
			&o.MaxRetries, &o.PoolSize, &o.ContextTimeoutEnabled, &o.DisableIdentity}
		k.apply(timeout)
		return goredis.NewFailoverClient(&o)
	}
	o := *u.single
	ClientOptions(&o, timeout)
	return goredis.NewClient(&o)
}

// connKnobs point at the fields [ClientOptions] sets, in go-redis's Options, ClusterOptions or FailoverOptions.
type connKnobs struct {
	dial, read, write, pool      *time.Duration
	dialerRetries, retries, size *int
	ctxTimeout, disableIdentity  *bool
}

func (k connKnobs) apply(timeout time.Duration) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	*k.dial = timeout
	*k.dialerRetries = 1 // one dial attempt: the next call dials again; retrying here only delays the error
	*k.read = timeout
	*k.write = timeout
	*k.pool = 2 * timeout
	*k.ctxTimeout = true
	*k.retries = -1
	*k.disableIdentity = true // CLIENT SETINFO needs Redis 7.2; skip the failing round trip on 7.0
	if *k.size == 0 {
		*k.size = DefaultPoolSize
	}
}
