// franz-go's transactions against brookd. franz-go speaks Kafka's transactions version 2
// (KIP-890 part 2) when the broker finalizes transaction.version 2, as brookd does: partitions
// join the transaction by Produce v12, EndTxn v5 bumps the epoch at every end.
//   - commit and abort: a transactional client commits 50 records, aborts 50 (flushed first),
//     commits 50 more; read_committed reads exactly the 100 committed, read_uncommitted all 150.
//   - consume-transform-produce: a GroupTransactSession in group franz-ctp reads franz-in
//     (read_committed) and writes each record transformed to franz-out; every third transaction
//     is aborted. At the end franz-out holds each input exactly once and the group has committed
//     the end of franz-in.
//   - fencing: a second client with the same transactional id makes the first one's commit fail.
//
// Usage: franz-txn BOOTSTRAP. One line per check ("franz ok: ..." or "franz FAILED: ...");
// exit status 1 on any failure.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

const timeout = 60 * time.Second

var failed = 0

func check(name string, ok bool, detail string) {
	state := "ok"
	if !ok {
		state = "FAILED"
		failed++
	}
	if detail != "" {
		name += ": " + detail
	}
	fmt.Printf("franz %s: %s\n", state, name)
}

func createTopics(bootstrap string, partitions int32, topics ...string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap))
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	resps, err := kadm.NewClient(cl).CreateTopics(ctx, partitions, 1, nil, topics...)
	if err != nil {
		return err
	}
	for _, r := range resps {
		if r.Err != nil && !errors.Is(r.Err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("CreateTopics %s: %w", r.Topic, r.Err)
		}
	}
	return nil
}

// readAll reads every partition of topic from the start until want records or a quiet second
// after the deadline's half.
func readAll(bootstrap, topic string, committed bool, want int) ([]*kgo.Record, error) {
	level := kgo.ReadUncommitted()
	if committed {
		level = kgo.ReadCommitted()
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(level),
		kgo.FetchMaxWait(300*time.Millisecond))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	var got []*kgo.Record
	deadline := time.Now().Add(20 * time.Second)
	quiet := 0
	for time.Now().Before(deadline) && quiet < 3 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		fetches := cl.PollFetches(ctx)
		cancel()
		var ferr error
		fetches.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && ferr == nil {
				ferr = fmt.Errorf("fetch %s/%d: %w", t, p, err)
			}
		})
		if ferr != nil {
			return got, ferr
		}
		rs := fetches.Records()
		got = append(got, rs...)
		if len(got) >= want && len(rs) == 0 {
			quiet++
		}
	}
	return got, nil
}

func txnClient(bootstrap, id string, extra ...kgo.Opt) (*kgo.Client, error) {
	opts := append([]kgo.Opt{kgo.SeedBrokers(bootstrap), kgo.TransactionalID(id),
		kgo.TransactionTimeout(30 * time.Second), kgo.ProducerLinger(2 * time.Millisecond)}, extra...)
	return kgo.NewClient(opts...)
}

func commitAndAbort(bootstrap string) {
	const topic = "franz-ca"
	if err := createTopics(bootstrap, 2, topic); err != nil {
		check("commit and abort", false, err.Error())
		return
	}
	cl, err := txnClient(bootstrap, "franz-ca", kgo.DefaultProduceTopic(topic))
	if err != nil {
		check("commit and abort", false, err.Error())
		return
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for round, commit := range []bool{true, false, true} {
		if err := cl.BeginTransaction(); err != nil {
			check("commit and abort", false, "begin: "+err.Error())
			return
		}
		var rs []*kgo.Record
		for i := 0; i < 50; i++ {
			rs = append(rs, &kgo.Record{Value: []byte(fmt.Sprintf("r%d-%d", round, i))})
		}
		if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
			check("commit and abort", false, "produce: "+err.Error())
			return
		}
		if err := cl.EndTransaction(ctx, kgo.TransactionEndTry(commit)); err != nil {
			check("commit and abort", false, "end: "+err.Error())
			return
		}
	}
	// Transactions version 2: each of the three ends bumped the epoch (version 1 keeps epoch 0).
	described, err := kadm.NewClient(cl).DescribeTransactions(ctx, "franz-ca")
	d := described["franz-ca"]
	check("transactions version 2: every end bumped the epoch",
		err == nil && d.Err == nil && d.ProducerEpoch == 3 && d.State == "CompleteCommit",
		fmt.Sprintf("epoch %d, state %s, err %v %v", d.ProducerEpoch, d.State, err, d.Err))
	got, err := readAll(bootstrap, topic, true, 100)
	bad := 0
	for _, r := range got {
		if strings.HasPrefix(string(r.Value), "r1-") {
			bad++
		}
	}
	check("commit, abort, commit: read_committed reads the 100 committed records only",
		err == nil && len(got) == 100 && bad == 0, fmt.Sprintf("%d read, %d aborted, err %v", len(got), bad, err))
	got, err = readAll(bootstrap, topic, false, 150)
	check("read_uncommitted reads all 150", err == nil && len(got) == 150,
		fmt.Sprintf("%d read, err %v", len(got), err))
}

func consumeTransformProduce(bootstrap string) {
	const in, out, group, n = "franz-in", "franz-out", "franz-ctp", 200
	if err := createTopics(bootstrap, 2, in, out); err != nil {
		check("consume-transform-produce", false, err.Error())
		return
	}
	seed, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.DefaultProduceTopic(in))
	if err != nil {
		check("consume-transform-produce", false, err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*timeout)
	defer cancel()
	var rs []*kgo.Record
	for i := 0; i < n; i++ {
		rs = append(rs, &kgo.Record{Key: []byte(fmt.Sprint(i % 7)), Value: []byte(fmt.Sprintf("in-%d", i))})
	}
	err = seed.ProduceSync(ctx, rs...).FirstErr()
	seed.Close()
	if err != nil {
		check("consume-transform-produce", false, "seed: "+err.Error())
		return
	}
	s, err := kgo.NewGroupTransactSession(kgo.SeedBrokers(bootstrap), kgo.TransactionalID("franz-ctp-1"),
		kgo.TransactionTimeout(30*time.Second), kgo.ConsumerGroup(group), kgo.ConsumeTopics(in),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.DefaultProduceTopic(out), kgo.FetchMaxWait(300*time.Millisecond))
	if err != nil {
		check("consume-transform-produce", false, err.Error())
		return
	}
	defer s.Close()
	seen := map[string]bool{}
	txns, aborted := 0, 0
	for len(seen) < n && ctx.Err() == nil {
		pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
		fetches := s.PollRecords(pctx, 20)
		pcancel()
		records := fetches.Records()
		if len(records) == 0 {
			continue
		}
		if err := s.Begin(); err != nil {
			check("consume-transform-produce", false, "begin: "+err.Error())
			return
		}
		txns++
		abort := txns%3 == 0
		var outs []*kgo.Record
		for _, r := range records {
			outs = append(outs, &kgo.Record{Key: r.Key, Value: []byte("out-" + string(r.Value))})
		}
		if err := s.ProduceSync(ctx, outs...).FirstErr(); err != nil {
			check("consume-transform-produce", false, "produce: "+err.Error())
			return
		}
		committed, err := s.End(ctx, kgo.TransactionEndTry(!abort))
		if err != nil {
			check("consume-transform-produce", false, "end: "+err.Error())
			return
		}
		if !committed {
			aborted++
			continue
		}
		for _, r := range records {
			seen[string(r.Value)] = true
		}
	}
	got, err := readAll(bootstrap, out, true, n)
	distinct := map[string]bool{}
	for _, r := range got {
		distinct[string(r.Value)] = true
	}
	check("consume-transform-produce: each input exactly once in franz-out",
		err == nil && len(got) == n && len(distinct) == n && aborted > 0,
		fmt.Sprintf("%d read, %d distinct, %d transactions (%d aborted), err %v", len(got), len(distinct), txns, aborted, err))

	adm, err := kgo.NewClient(kgo.SeedBrokers(bootstrap))
	if err != nil {
		check("franz-ctp committed the end of franz-in", false, err.Error())
		return
	}
	defer adm.Close()
	offsets, err := kadm.NewClient(adm).FetchOffsets(ctx, group)
	total := int64(0)
	if err == nil {
		offsets.Each(func(o kadm.OffsetResponse) { total += o.At })
	}
	check("franz-ctp committed the end of franz-in", err == nil && total == n,
		fmt.Sprintf("sum of committed offsets %d, err %v", total, err))
}

func fencing(bootstrap string) {
	const topic = "franz-fence"
	if err := createTopics(bootstrap, 1, topic); err != nil {
		check("fencing", false, err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	old, err := txnClient(bootstrap, "franz-fence", kgo.DefaultProduceTopic(topic))
	if err != nil {
		check("fencing", false, err.Error())
		return
	}
	defer old.Close()
	if err := old.BeginTransaction(); err != nil {
		check("fencing", false, err.Error())
		return
	}
	if err := old.ProduceSync(ctx, &kgo.Record{Value: []byte("old")}).FirstErr(); err != nil {
		check("fencing", false, "produce: "+err.Error())
		return
	}
	fresh, err := txnClient(bootstrap, "franz-fence", kgo.DefaultProduceTopic(topic))
	if err != nil {
		check("fencing", false, err.Error())
		return
	}
	defer fresh.Close()
	if err := fresh.BeginTransaction(); err != nil {
		check("fencing", false, err.Error())
		return
	}
	// The new incarnation's first write makes the coordinator fence the old one.
	err = fresh.ProduceSync(ctx, &kgo.Record{Value: []byte("new")}).FirstErr()
	if err == nil {
		err = fresh.EndTransaction(ctx, kgo.TryCommit)
	}
	check("the second client commits", err == nil, fmt.Sprintf("err %v", err))
	oldErr := old.EndTransaction(ctx, kgo.TryCommit)
	check("the first client with the same transactional id is fenced", oldErr != nil,
		fmt.Sprintf("err %v", oldErr))
	got, err := readAll(bootstrap, topic, true, 1)
	var values []string
	for _, r := range got {
		values = append(values, string(r.Value))
	}
	check("the fenced client's record is never visible to read_committed",
		err == nil && len(values) == 1 && values[0] == "new", fmt.Sprintf("%v, err %v", values, err))
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: franz-txn BOOTSTRAP")
		os.Exit(2)
	}
	bootstrap := os.Args[1]
	commitAndAbort(bootstrap)
	consumeTransformProduce(bootstrap)
	fencing(bootstrap)
	if failed > 0 {
		fmt.Printf("franz transactions: %d failed\n", failed)
		os.Exit(1)
	}
	fmt.Println("franz transactions: all passed")
}
