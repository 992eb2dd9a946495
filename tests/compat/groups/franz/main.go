// One consumer-group member for groups_check.py, with franz-go (github.com/twmb/franz-go, the
// same version as tests/compat/clients/franz).
//
// Usage: franz-worker BOOTSTRAP GROUP TOPIC NAME [key=value...]
//
//	keys: protocol=classic|consumer (consumer = KIP-848 through kgo.ServerSideBalancer, with the
//	                                 sticky balancer, i.e. the broker's "uniform" assignor)
//	      assignor=range|roundrobin|sticky|cooperative-sticky          (classic only; default range)
//	      session_ms=6000 heartbeat_ms=1000 poll_interval_ms=20000     (classic only;
//	                                 poll_interval_ms is the rebalance timeout)
//	      max_poll=50
//
// Subscribes TOPIC in GROUP (reset to the start, DisableAutoCommit, BlockRebalanceOnPoll) and
// after every poll that returned records commits them with CommitRecords, then allows the
// rebalance. Writes to stdout one line each (the protocol of groups_worker.py):
//
//	assigned P,P,...|-   rec P OFFSET KEY   committed P:OFF,...   commit-error TEXT   error TEXT
//	closed (after stdin ended or said "stop" and the client left the group)
package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

var outMu sync.Mutex

func emit(format string, args ...any) {
	outMu.Lock()
	defer outMu.Unlock()
	fmt.Fprintf(os.Stdout, format+"\n", args...)
}

func main() {
	if len(os.Args) < 5 {
		fmt.Fprintln(os.Stderr, "usage: franz-worker BOOTSTRAP GROUP TOPIC NAME [key=value...]")
		os.Exit(2)
	}
	bootstrap, group, topic, name := os.Args[1], os.Args[2], os.Args[3], os.Args[4]
	opt := map[string]string{"protocol": "classic", "assignor": "range", "session_ms": "6000",
		"heartbeat_ms": "1000", "poll_interval_ms": "20000", "max_poll": "50"}
	for _, a := range os.Args[5:] {
		k, v, _ := strings.Cut(a, "=")
		opt[k] = v
	}
	ms := func(k string) time.Duration {
		n, err := strconv.Atoi(opt[k])
		if err != nil {
			fmt.Fprintf(os.Stderr, "bad %s=%s\n", k, opt[k])
			os.Exit(2)
		}
		return time.Duration(n) * time.Millisecond
	}

	// The current assignment, kept from the callbacks.
	var asgMu sync.Mutex
	assigned := map[int32]bool{}
	show := func() {
		parts := make([]int, 0, len(assigned))
		for p := range assigned {
			parts = append(parts, int(p))
		}
		sort.Ints(parts)
		s := make([]string, len(parts))
		for i, p := range parts {
			s[i] = strconv.Itoa(p)
		}
		if len(s) == 0 {
			emit("assigned -")
		} else {
			emit("assigned %s", strings.Join(s, ","))
		}
	}
	update := func(m map[string][]int32, add bool) {
		asgMu.Lock()
		defer asgMu.Unlock()
		for _, p := range m[topic] {
			if add {
				assigned[p] = true
			} else {
				delete(assigned, p)
			}
		}
		show()
	}

	opts := []kgo.Opt{
		kgo.SeedBrokers(bootstrap),
		kgo.ClientID(name),
		kgo.WithLogger(kgo.BasicLogger(os.Stderr, kgo.LogLevelWarn, nil)),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.FetchMaxWait(500 * time.Millisecond),
		kgo.MetadataMaxAge(5 * time.Second),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, m map[string][]int32) { update(m, true) }),
		kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, m map[string][]int32) { update(m, false) }),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, m map[string][]int32) { update(m, false) }),
	}
	if opt["protocol"] == "consumer" {
		opts = append(opts, kgo.ServerSideBalancer(), kgo.Balancers(kgo.StickyBalancer()))
	} else {
		var b kgo.GroupBalancer
		switch opt["assignor"] {
		case "range":
			b = kgo.RangeBalancer()
		case "roundrobin":
			b = kgo.RoundRobinBalancer()
		case "sticky":
			b = kgo.StickyBalancer()
		case "cooperative-sticky":
			b = kgo.CooperativeStickyBalancer()
		default:
			fmt.Fprintf(os.Stderr, "unknown assignor %s\n", opt["assignor"])
			os.Exit(2)
		}
		opts = append(opts, kgo.Balancers(b), kgo.SessionTimeout(ms("session_ms")),
			kgo.HeartbeatInterval(ms("heartbeat_ms")), kgo.RebalanceTimeout(ms("poll_interval_ms")))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		emit("error new client: %v", err)
		os.Exit(1)
	}
	maxPoll, _ := strconv.Atoi(opt["max_poll"])

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == "stop" {
				break
			}
		}
		cancel()
	}()

	for ctx.Err() == nil {
		fetches := cl.PollRecords(ctx, maxPoll)
		if ctx.Err() != nil {
			break
		}
		fetches.EachError(func(t string, p int32, err error) {
			emit("error fetch %s/%d: %v", t, p, err)
		})
		recs := fetches.Records()
		for _, r := range recs {
			key := "-"
			if r.Key != nil {
				key = string(r.Key)
			}
			emit("rec %d %d %s", r.Partition, r.Offset, key)
		}
		if len(recs) > 0 {
			next := map[int32]int64{}
			for _, r := range recs {
				if r.Offset+1 > next[r.Partition] {
					next[r.Partition] = r.Offset + 1
				}
			}
			cctx, ccancel := context.WithTimeout(context.Background(), 15*time.Second)
			err := cl.CommitRecords(cctx, recs...)
			ccancel()
			if err != nil {
				emit("commit-error %v", err)
			} else {
				parts := make([]int, 0, len(next))
				for p := range next {
					parts = append(parts, int(p))
				}
				sort.Ints(parts)
				s := make([]string, len(parts))
				for i, p := range parts {
					s[i] = fmt.Sprintf("%d:%d", p, next[int32(p)])
				}
				emit("committed %s", strings.Join(s, ","))
			}
		}
		cl.AllowRebalance()
	}
	done := make(chan struct{})
	go func() {
		cl.CloseAllowingRebalance()
		close(done)
	}()
	select {
	case <-done:
		emit("closed")
	case <-time.After(15 * time.Second):
		emit("error close did not finish within 15 s")
		os.Exit(1)
	}
}
