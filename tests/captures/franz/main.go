// Command franz-capture is the capture scenario for franz-go: kadm admin calls, a producer per
// compression codec, and a consumer group that commits.
//
// Usage: franz-capture BOOTSTRAP TOPIC GROUP
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

var codecs = []struct {
	name  string
	codec kgo.CompressionCodec
}{
	{"none", kgo.NoCompression()},
	{"gzip", kgo.GzipCompression()},
	{"snappy", kgo.SnappyCompression()},
	{"lz4", kgo.Lz4Compression()},
	{"zstd", kgo.ZstdCompression()},
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: franz-capture BOOTSTRAP TOPIC GROUP")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2], os.Args[3]); err != nil {
		fmt.Fprintln(os.Stderr, "franz-go:", err)
		os.Exit(1)
	}
}

func run(bootstrap, topic, group string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	common := []kgo.Opt{kgo.SeedBrokers(bootstrap), kgo.ClientID("brook-captures-franz-go")}

	adminClient, err := kgo.NewClient(common...)
	if err != nil {
		return err
	}
	defer adminClient.Close()
	admin := kadm.NewClient(adminClient)
	created, err := admin.CreateTopic(ctx, 1, 1, nil, topic)
	if err != nil || created.Err != nil {
		return fmt.Errorf("create topic: %v %v", err, created.Err)
	}

	for _, c := range codecs {
		producer, err := kgo.NewClient(append(common, kgo.ProducerBatchCompression(c.codec),
			kgo.ProducerLinger(50*time.Millisecond))...)
		if err != nil {
			return err
		}
		for i := 0; i < 2; i++ {
			producer.Produce(ctx, &kgo.Record{
				Topic: topic,
				Key:   []byte(fmt.Sprintf("key-%s-%d", c.name, i)),
				// Repeated so that every codec shrinks it: franz-go sends a batch uncompressed
				// when compressing does not make it smaller (gzip would lose on a short value).
				Value: []byte(strings.Repeat(fmt.Sprintf("value %d compressed with %s. ", i, c.name), 3)),
				Headers: []kgo.RecordHeader{
					{Key: "codec", Value: []byte(c.name)},
					{Key: "n", Value: []byte(strconv.Itoa(i))},
				},
			}, nil)
		}
		err = producer.Flush(ctx)
		producer.Close()
		if err != nil {
			return fmt.Errorf("produce %s: %w", c.name, err)
		}
	}

	consumer, err := kgo.NewClient(append(common, kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit(),
		kgo.FetchMaxWait(100*time.Millisecond))...)
	if err != nil {
		return err
	}
	want, seen := 2*len(codecs), 0
	for seen < want && ctx.Err() == nil {
		fetches := consumer.PollFetches(ctx)
		if errs := fetches.Errors(); len(errs) > 0 && ctx.Err() == nil {
			return fmt.Errorf("fetch: %v", errs)
		}
		seen += fetches.NumRecords()
	}
	if seen < want {
		consumer.Close()
		return fmt.Errorf("consumed %d of %d records", seen, want)
	}
	if err := consumer.CommitUncommittedOffsets(ctx); err != nil {
		consumer.Close()
		return fmt.Errorf("commit: %w", err)
	}
	consumer.Close()

	starts, err := admin.ListStartOffsets(ctx, topic)
	if err != nil {
		return err
	}
	ends, err := admin.ListEndOffsets(ctx, topic)
	if err != nil {
		return err
	}
	fmt.Printf("franz-go: offsets %v .. %v\n", starts.Offsets(), ends.Offsets())
	committed, err := admin.FetchOffsets(ctx, group)
	if err != nil {
		return err
	}
	fmt.Printf("franz-go: group offsets %v\n", committed.Offsets())
	configs, err := admin.DescribeTopicConfigs(ctx, topic)
	if err != nil {
		return err
	}
	for _, rc := range configs {
		fmt.Printf("franz-go: %d configs for %s\n", len(rc.Configs), rc.Name)
	}
	deleted, err := admin.DeleteTopic(ctx, topic)
	if err != nil || deleted.Err != nil {
		return fmt.Errorf("delete topic: %v %v", err, deleted.Err)
	}
	fmt.Printf("franz-go: %d records round-tripped\n", seen)
	return nil
}
