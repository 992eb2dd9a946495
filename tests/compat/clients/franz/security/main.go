// franz-go over a secured listener of brookd: TLS (with or without a client certificate) and
// SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER).
//
// Usage: franz-security -bootstrap HOST:PORT [-tls -ca FILE [-cert FILE -key FILE]]
//
//	[-mechanism NAME -user U -password P | -token JWT] -mode roundtrip|refused -topic T [-count N]
//
// roundtrip: produces N records and reads them back; prints "ok N". refused: expects the
// connection to fail authentication; prints "refused: <error>". Exit status 1 otherwise.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func main() {
	bootstrap := flag.String("bootstrap", "", "")
	useTLS := flag.Bool("tls", false, "")
	ca := flag.String("ca", "", "")
	cert := flag.String("cert", "", "")
	key := flag.String("key", "", "")
	mechanism := flag.String("mechanism", "", "")
	user := flag.String("user", "", "")
	password := flag.String("password", "", "")
	token := flag.String("token", "", "")
	mode := flag.String("mode", "roundtrip", "")
	topic := flag.String("topic", "", "")
	count := flag.Int("count", 20, "")
	flag.Parse()

	opts := []kgo.Opt{kgo.SeedBrokers(*bootstrap), kgo.RequestRetries(2),
		kgo.RetryTimeout(10 * time.Second)}
	if *useTLS {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		pem, err := os.ReadFile(*ca)
		if err != nil {
			fail("ca: %v", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		cfg.RootCAs.AppendCertsFromPEM(pem)
		if *cert != "" {
			pair, err := tls.LoadX509KeyPair(*cert, *key)
			if err != nil {
				fail("client certificate: %v", err)
			}
			cfg.Certificates = []tls.Certificate{pair}
		}
		opts = append(opts, kgo.DialTLSConfig(cfg))
	}
	var m sasl.Mechanism
	switch *mechanism {
	case "":
	case "PLAIN":
		m = plain.Auth{User: *user, Pass: *password}.AsMechanism()
	case "SCRAM-SHA-256":
		m = scram.Auth{User: *user, Pass: *password}.AsSha256Mechanism()
	case "SCRAM-SHA-512":
		m = scram.Auth{User: *user, Pass: *password}.AsSha512Mechanism()
	case "OAUTHBEARER":
		m = oauth.Auth{Token: *token}.AsMechanism()
	default:
		fail("unknown mechanism %s", *mechanism)
	}
	if m != nil {
		opts = append(opts, kgo.SASL(m))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()

	if *mode == "refused" {
		cl, err := kgo.NewClient(opts...)
		if err != nil {
			fail("client: %v", err)
		}
		defer cl.Close()
		err = cl.Ping(ctx)
		if err == nil {
			fail("the connection was not refused")
		}
		fmt.Printf("refused: %v\n", err)
		return
	}

	cl, err := kgo.NewClient(append(opts, kgo.DefaultProduceTopic(*topic),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{*topic: {0: kgo.NewOffset().AtStart()}}),
		kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
	if err != nil {
		fail("client: %v", err)
	}
	defer cl.Close()
	var sent []string
	for i := 0; i < *count; i++ {
		v := fmt.Sprintf("franz-%d", i)
		if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte(v), Partition: 0}).FirstErr(); err != nil {
			fail("produce: %v", err)
		}
		sent = append(sent, v)
	}
	var got []string
	for len(got) < len(sent) {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			fail("read back %d of %d", len(got), len(sent))
		}
		for _, e := range fetches.Errors() {
			if !errors.Is(e.Err, context.DeadlineExceeded) {
				fail("fetch: %v", e.Err)
			}
		}
		fetches.EachRecord(func(r *kgo.Record) {
			if len(r.Value) > 6 && string(r.Value[:6]) == "franz-" {
				got = append(got, string(r.Value))
			}
		})
	}
	for i := range sent {
		if got[i] != sent[i] {
			fail("record %d is %q, sent %q", i, got[i], sent[i])
		}
	}
	fmt.Printf("ok %d\n", len(got))
}
