// franz-go (github.com/twmb/franz-go) against a running brookd: the Go counterpart of
// clients_check.py. For every codec and acks setting it creates a topic with kadm, produces 200
// records with kgo (keys, values, headers and timestamps exactly as clients_check.py's
// expected()), reads them back and compares every field.
//
// Usage: franz-check BOOTSTRAP PHASE
//
//	PHASE: produce - create the topics, produce, read back, compare
//	       verify  - read back what `produce` wrote (after a restart) and compare
//
// The producer is idempotent with acks=all (franz-go's default; NoAck and LeaderAck need
// DisableIdempotentWrite) and the consumer reads partition 0 directly (ConsumePartitions from the
// start, no group). Prints one line per topic
// ("franz PHASE TOPIC: ok" or "...: FAILED: reason"); exits 1 on any failure.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

const (
	client  = "franz"
	count   = 200
	baseTS  = int64(1_700_000_000_000)
	timeout = 30 * time.Second
)

var codecs = []string{"none", "gzip", "snappy", "lz4", "zstd"}
var acksSettings = []string{"0", "1", "all"}

type header struct{ key, value string }

type rec struct {
	key, value []byte // nil is a null key or value
	headers    []header
	ts         int64
}

func topicName(codec, acks string) string { return client + "-" + codec + "-acks" + acks }

// clients_check.py's expected(), exactly.
func expected(topic string) []rec {
	out := make([]rec, 0, count)
	for i := 0; i < count; i++ {
		var r rec
		if i%10 != 9 {
			r.key = []byte(fmt.Sprintf("%s-key-%d", topic, i))
		}
		// Never both null, as in clients_check.py.
		if !(i%17 == 16 && r.key != nil) {
			r.value = []byte(fmt.Sprintf("%s-value-%d-%s", topic, i, strings.Repeat("x", i%50)))
		}
		if i%3 == 0 {
			r.headers = []header{{"h", strconv.Itoa(i)}}
		}
		r.ts = baseTS + int64(i)
		out = append(out, r)
	}
	return out
}

func show(b []byte) string {
	if b == nil {
		return "null"
	}
	return strconv.Quote(string(b))
}

func sameBytes(a, b []byte) bool { return (a == nil) == (b == nil) && bytes.Equal(a, b) }

func compare(topic string, got []*kgo.Record) string {
	want := expected(topic)
	if len(got) != len(want) {
		return fmt.Sprintf("%d records, expected %d", len(got), len(want))
	}
	for i, g := range got {
		w := want[i]
		if g.Offset != int64(i) {
			return fmt.Sprintf("record %d: offset %d, expected %d", i, g.Offset, i)
		}
		if !sameBytes(g.Key, w.key) || !sameBytes(g.Value, w.value) {
			return fmt.Sprintf("record %d: key/value %s/%s, expected %s/%s", i, show(g.Key),
				show(g.Value), show(w.key), show(w.value))
		}
		gh := make([]header, 0, len(g.Headers))
		for _, h := range g.Headers {
			gh = append(gh, header{h.Key, string(h.Value)})
		}
		if fmt.Sprint(gh) != fmt.Sprint(w.headers) && !(len(gh) == 0 && len(w.headers) == 0) {
			return fmt.Sprintf("record %d: headers %v, expected %v", i, gh, w.headers)
		}
		if g.Timestamp.UnixMilli() != w.ts || g.Attrs.TimestampType() != 0 {
			return fmt.Sprintf("record %d: timestamp %d (type %d), expected %d (CreateTime)", i,
				g.Timestamp.UnixMilli(), g.Attrs.TimestampType(), w.ts)
		}
	}
	return ""
}

func createTopic(bootstrap, topic string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.ClientID("brook-franz-check-admin"))
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 1, nil, topic)
	if errors.Is(err, kerr.TopicAlreadyExists) {
		return nil
	}
	if err != nil {
		return err
	}
	if resp.Err != nil && !errors.Is(resp.Err, kerr.TopicAlreadyExists) {
		return fmt.Errorf("CreateTopics: %w (%s)", resp.Err, resp.ErrMessage)
	}
	return nil
}

func produce(bootstrap, topic, codec, acks string) error {
	var ack kgo.Acks
	switch acks {
	case "0":
		ack = kgo.NoAck()
	case "1":
		ack = kgo.LeaderAck()
	default:
		ack = kgo.AllISRAcks()
	}
	var comp kgo.CompressionCodec
	switch codec {
	case "none":
		comp = kgo.NoCompression()
	case "gzip":
		comp = kgo.GzipCompression()
	case "snappy":
		comp = kgo.SnappyCompression()
	case "lz4":
		comp = kgo.Lz4Compression()
	case "zstd":
		comp = kgo.ZstdCompression()
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(bootstrap),
		kgo.ClientID("brook-franz-check-" + topic + "-producer"),
		kgo.DefaultProduceTopic(topic),
		kgo.RequiredAcks(ack),
		kgo.ProducerBatchCompression(comp),
		kgo.ProducerLinger(5 * time.Millisecond),
		kgo.ProducerBatchMaxBytes(4096),
		// No RecordDeliveryTimeout: franz-go measures it from Record.Timestamp, and these
		// timestamps are from 2023. The context below bounds the wait instead.
		kgo.ProduceRequestTimeout(15 * time.Second),
	}
	if acks != "all" {
		opts = append(opts, kgo.DisableIdempotentWrite())
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var records []*kgo.Record
	for _, r := range expected(topic) {
		kr := &kgo.Record{Key: r.key, Value: r.value, Timestamp: time.UnixMilli(r.ts), Partition: 0}
		for _, h := range r.headers {
			kr.Headers = append(kr.Headers, kgo.RecordHeader{Key: h.key, Value: []byte(h.value)})
		}
		records = append(records, kr)
	}
	return cl.ProduceSync(ctx, records...).FirstErr()
}

func consume(bootstrap, topic string) ([]*kgo.Record, error) {
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(bootstrap),
		kgo.ClientID("brook-franz-check-"+topic+"-consumer"),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}),
		kgo.FetchMaxWait(500*time.Millisecond),
	)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var got []*kgo.Record
	for len(got) < count {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			break
		}
		var ferr error
		fetches.EachError(func(t string, p int32, err error) {
			if ferr == nil {
				ferr = fmt.Errorf("fetch %s/%d: %w", t, p, err)
			}
		})
		if ferr != nil {
			return got, ferr
		}
		got = append(got, fetches.Records()...)
	}
	return got, nil
}

func main() {
	if len(os.Args) != 3 || (os.Args[2] != "produce" && os.Args[2] != "verify") {
		fmt.Fprintln(os.Stderr, "usage: franz-check BOOTSTRAP produce|verify")
		os.Exit(2)
	}
	bootstrap, phase := os.Args[1], os.Args[2]
	failed := 0
	for _, codec := range codecs {
		for _, acks := range acksSettings {
			topic := topicName(codec, acks)
			problem := ""
			var err error
			if phase == "produce" {
				if err = createTopic(bootstrap, topic); err == nil {
					err = produce(bootstrap, topic, codec, acks)
				}
			}
			if err == nil {
				var got []*kgo.Record
				got, err = consume(bootstrap, topic)
				if err == nil {
					problem = compare(topic, got)
				}
			}
			if err != nil {
				problem = err.Error()
			}
			if problem == "" {
				fmt.Printf("%s %s %s: ok\n", client, phase, topic)
			} else {
				fmt.Printf("%s %s %s: FAILED: %s\n", client, phase, topic, problem)
				failed++
			}
		}
	}
	if failed > 0 {
		os.Exit(1)
	}
}
