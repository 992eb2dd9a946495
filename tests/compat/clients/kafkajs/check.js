// KafkaJS against a running brookd: the Node counterpart of clients_check.py. For every codec and
// acks setting it creates a topic with the KafkaJS admin client, produces 200 records with the
// KafkaJS producer (keys, values, headers and timestamps exactly as clients_check.py's
// expected()), reads them back and compares every field.
//
// Usage: node check.js BOOTSTRAP PHASE
//   PHASE: produce - create the topics, produce, read back, compare
//          verify  - read back what `produce` wrote (after a restart) and compare
//
// The producer is idempotent with acks=-1. KafkaJS's consumer works only inside a consumer group
// (consumer.run joins one; there is no assign()), so the records are read back with KafkaJS's own
// cluster and broker objects instead: metadata, then Fetch requests on partition 0 from offset 0,
// decoded (decompression included) by KafkaJS's record batch decoder. That reaches past KafkaJS's
// public API (its Kafka object's private createCluster), pinned to kafkajs 2.2.4 in
// package.json.
//
// Codecs: gzip is built in; snappy (kafkajs-snappy, snappyjs) and lz4 (kafkajs-lz4 on lz4, whose
// native part npm ci builds with node-gyp) are plugins; zstd is a small codec below on zstd-codec (Emscripten), since
// @kafkajs/zstd needs a native build (cppzst) that fails on Node 20. A codec whose package does
// not load is reported as "skipped" for its topics, not failed.
//
// Prints one line per topic ("kafkajs PHASE TOPIC: ok", "...: skipped: reason" or
// "...: FAILED: reason"); exits 1 on any failure.
'use strict'

const { Kafka, CompressionTypes, CompressionCodecs, Partitioners, logLevel } = require('kafkajs')

const CLIENT = 'kafkajs'
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
const ACKS = [0, 1, -1]
const COUNT = 200
const BASE_TS = 1700000000000
const CHUNK = 25 // records per send(): several batches per topic, as batch.size does elsewhere
const TIMEOUT_MS = 60000

const COMPRESSION = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
}

// Codec plugins; a codec missing here makes its topics "skipped".
const unavailable = {}
try {
  CompressionCodecs[CompressionTypes.Snappy] = require('kafkajs-snappy')
} catch (e) {
  unavailable.snappy = `kafkajs-snappy: ${e.message}`
}
try {
  const LZ4Codec = require('kafkajs-lz4')
  CompressionCodecs[CompressionTypes.LZ4] = new LZ4Codec().codec
} catch (e) {
  unavailable.lz4 = `kafkajs-lz4: ${e.message}`
}
try {
  const { ZstdCodec } = require('zstd-codec')
  const zstd = new Promise(resolve => ZstdCodec.run(resolve))
  CompressionCodecs[CompressionTypes.ZSTD] = () => ({
    async compress(encoder) {
      const z = await zstd
      return Buffer.from(new z.Streaming().compress(encoder.buffer, 3))
    },
    // Streaming, not Simple: a frame need not state its content size.
    async decompress(buffer) {
      const z = await zstd
      return Buffer.from(new z.Streaming().decompress(buffer))
    },
  })
} catch (e) {
  unavailable.zstd = `zstd-codec: ${e.message}`
}

function topicName(codec, acks) {
  return `${CLIENT}-${codec}-acks${acks === -1 ? 'all' : acks}`
}

// clients_check.py's expected(), exactly.
function expected(topic) {
  const out = []
  for (let i = 0; i < COUNT; i++) {
    const key = i % 10 === 9 ? null : Buffer.from(`${topic}-key-${i}`)
    // Never both null, as in clients_check.py.
    const value =
      i % 17 === 16 && key !== null ? null : Buffer.from(`${topic}-value-${i}-` + 'x'.repeat(i % 50))
    const headers = i % 3 === 0 ? [['h', Buffer.from(`${i}`)]] : []
    out.push({ key, value, headers, timestamp: BASE_TS + i })
  }
  return out
}

function show(b) {
  return b === null || b === undefined ? 'null' : JSON.stringify(b.toString())
}

function same(a, b) {
  if (a === null || a === undefined || b === null || b === undefined) {
    return (a === null || a === undefined) && (b === null || b === undefined)
  }
  return Buffer.compare(a, b) === 0
}

function showHeaders(hs) {
  return '[' + hs.map(([k, v]) => `(${k}, ${show(v)})`).join(', ') + ']'
}

function compare(topic, got) {
  const want = expected(topic)
  if (got.length !== want.length) return `${got.length} records, expected ${want.length}`
  for (let i = 0; i < want.length; i++) {
    const g = got[i]
    const w = want[i]
    if (g.offset !== String(i)) return `record ${i}: offset ${g.offset}, expected ${i}`
    if (!same(g.key, w.key) || !same(g.value, w.value)) {
      return `record ${i}: key/value ${show(g.key)}/${show(g.value)}, expected ${show(w.key)}/${show(w.value)}`
    }
    // KafkaJS decodes headers into an object; a repeated key becomes an array.
    const gh = []
    for (const [k, v] of Object.entries(g.headers || {})) {
      for (const one of Array.isArray(v) ? v : [v]) gh.push([k, one])
    }
    if (
      gh.length !== w.headers.length ||
      gh.some(([k, v], j) => k !== w.headers[j][0] || !same(v, w.headers[j][1]))
    ) {
      return `record ${i}: headers ${showHeaders(gh)}, expected ${showHeaders(w.headers)}`
    }
    const type = g.batchContext ? g.batchContext.timestampType : undefined
    if (g.timestamp !== String(w.timestamp) || type !== 0) {
      return `record ${i}: timestamp ${g.timestamp} (type ${type}), expected ${w.timestamp} (CreateTime)`
    }
  }
  return null
}

async function createTopic(kafka, topic) {
  const admin = kafka.admin()
  await admin.connect()
  try {
    // false when it exists already: fine, verify will tell
    await admin.createTopics({
      topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
      waitForLeaders: true,
    })
  } finally {
    await admin.disconnect()
  }
}

async function produce(kafka, topic, codec, acks) {
  const producer = kafka.producer({
    // Idempotent with acks=-1 (KafkaJS refuses idempotence with other acks).
    idempotent: acks === -1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: 3 },
  })
  await producer.connect()
  try {
    const messages = expected(topic).map(r => ({
      partition: 0,
      key: r.key,
      value: r.value,
      headers: Object.fromEntries(r.headers),
      timestamp: String(r.timestamp),
    }))
    for (let i = 0; i < messages.length; i += CHUNK) {
      const meta = await producer.send({
        topic,
        acks,
        timeout: 15000,
        compression: COMPRESSION[codec],
        messages: messages.slice(i, i + CHUNK),
      })
      for (const m of meta) {
        if (m.errorCode !== 0) throw new Error(`produce: error code ${m.errorCode} for ${m.topicName}`)
      }
    }
  } finally {
    await producer.disconnect()
  }
}

// No consumer group: KafkaJS's cluster (metadata, leader lookup) and broker.fetch on partition 0.
async function consume(kafka, topic) {
  const sym = Object.getOwnPropertySymbols(kafka).find(
    s => s.description === 'private:Kafka:createCluster'
  )
  if (!sym) throw new Error('kafkajs internals changed: no private createCluster')
  const cluster = kafka[sym]({ allowAutoTopicCreation: false })
  await cluster.connect()
  try {
    await cluster.addTargetTopic(topic)
    const got = []
    let next = 0
    const deadline = Date.now() + 30000
    while (got.length < COUNT && Date.now() < deadline) {
      const leaders = cluster.findLeaderForPartitions(topic, [0])
      const nodeId = Object.keys(leaders)[0]
      if (nodeId === undefined) throw new Error(`no leader for ${topic}/0`)
      const broker = await cluster.findBroker({ nodeId })
      const response = await broker.fetch({
        maxWaitTime: 500,
        minBytes: 1,
        maxBytes: 1 << 20,
        isolationLevel: 1,
        topics: [{ topic, partitions: [{ partition: 0, fetchOffset: String(next), maxBytes: 1 << 20 }] }],
      })
      for (const t of response.responses) {
        for (const p of t.partitions) {
          if (p.errorCode !== 0) throw new Error(`fetch ${topic}/${p.partition}: error code ${p.errorCode}`)
          for (const m of p.messages) {
            // A compressed batch may start before the offset asked for; control records are not data.
            if (Number(m.offset) < next || m.isControlRecord) continue
            got.push(m)
            next = Number(m.offset) + 1
          }
        }
      }
    }
    return got
  } finally {
    await cluster.disconnect()
  }
}

function withTimeout(promise, what) {
  let timer
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${TIMEOUT_MS} ms`)), TIMEOUT_MS)
    }),
  ]).finally(() => clearTimeout(timer))
}

async function main() {
  const [bootstrap, phase] = process.argv.slice(2)
  if (!bootstrap || (phase !== 'produce' && phase !== 'verify')) {
    console.error('usage: node check.js BOOTSTRAP produce|verify')
    process.exit(2)
  }
  const kafka = new Kafka({
    clientId: `brook-kafkajs-check-${phase}`,
    brokers: [bootstrap],
    requestTimeout: 15000,
    retry: { retries: 3 },
    logLevel: logLevel.ERROR,
  })
  let failed = 0
  for (const codec of CODECS) {
    for (const acks of ACKS) {
      const topic = topicName(codec, acks)
      if (unavailable[codec]) {
        console.log(`${CLIENT} ${phase} ${topic}: skipped: ${unavailable[codec]}`)
        continue
      }
      let problem
      try {
        if (phase === 'produce') {
          await withTimeout(createTopic(kafka, topic), 'createTopics')
          await withTimeout(produce(kafka, topic, codec, acks), 'produce')
        }
        problem = compare(topic, await withTimeout(consume(kafka, topic), 'fetch'))
      } catch (e) {
        problem = `${e.name}: ${e.message}`
      }
      console.log(`${CLIENT} ${phase} ${topic}: ${problem === null ? 'ok' : 'FAILED: ' + problem}`)
      if (problem !== null) failed++
    }
  }
  process.exit(failed ? 1 : 0)
}

main().catch(e => {
  console.error(e)
  process.exit(1)
})
