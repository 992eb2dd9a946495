// KafkaJS's transactions against a running brookd. KafkaJS speaks transactions version 1 with old
// API versions (InitProducerId v1, AddPartitionsToTxn v1, AddOffsetsToTxn v1, TxnOffsetCommit v1,
// EndTxn v1).
//   - commit and abort: a transactional producer commits 50 records, aborts 50, commits 50 more; a
//     consumer group (KafkaJS reads read_committed by default) gets exactly the 100 committed ones.
//   - consume-transform-produce: a consumer in group kjs-ctp reads kjs-in and the producer writes
//     each record transformed to kjs-out with sendOffsets in the same transaction; at the end
//     kjs-out holds each input once and the group has committed the end of kjs-in.
//   - fencing: a second producer with the same transactional id makes the first one's commit fail.
//
// Usage: node txn.js BOOTSTRAP. One line per check ("kafkajs ok: ..." or "kafkajs FAILED: ...");
// exits 1 on any failure.
'use strict'

const { Kafka, logLevel } = require('kafkajs')

const results = []
function check (name, ok, detail) {
  results.push(ok)
  console.log(`kafkajs ${ok ? 'ok' : 'FAILED'}: ${name}${detail ? ': ' + detail : ''}`)
}

// Reads `topic` from the start in a fresh group until `want` values or `ms` passed.
async function readGroup (kafka, topic, want, ms) {
  const consumer = kafka.consumer({ groupId: `kjs-read-${topic}-${Date.now()}`, maxWaitTimeInMs: 300 })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  const values = []
  await consumer.run({ eachMessage: async ({ message }) => { values.push(message.value.toString()) } })
  const deadline = Date.now() + ms
  while (Date.now() < deadline && values.length < want) await new Promise(resolve => setTimeout(resolve, 200))
  // A little longer: anything beyond `want` would be a failure to see.
  await new Promise(resolve => setTimeout(resolve, 1000))
  await consumer.disconnect()
  return values
}

async function commitAbort (kafka) {
  const topic = 'kjs-ca'
  const producer = kafka.producer({ transactionalId: 'kjs-ca', maxInFlightRequests: 1, idempotent: true })
  await producer.connect()
  for (const [batch, commit] of [['a', true], ['b', false], ['c', true]]) {
    const txn = await producer.transaction()
    const messages = []
    for (let i = 0; i < 50; i++) messages.push({ partition: i % 2, value: `${batch}${i}` })
    await txn.send({ topic, messages })
    if (commit) await txn.commit()
    else await txn.abort()
  }
  await producer.disconnect()
  const values = await readGroup(kafka, topic, 100, 30000)
  const aborted = values.filter(v => v.startsWith('b')).length
  check('commit, abort, commit: a read_committed group reads the 100 committed records only',
    values.length === 100 && aborted === 0, `${values.length} read, ${aborted} aborted`)
}

async function consumeTransformProduce (kafka, admin) {
  const n = 200
  const plain = kafka.producer()
  await plain.connect()
  const seed = []
  for (let i = 0; i < n; i++) seed.push({ partition: i % 2, value: `in-${i}` })
  await plain.send({ topic: 'kjs-in', messages: seed })
  await plain.disconnect()

  const producer = kafka.producer({ transactionalId: 'kjs-ctp-1', maxInFlightRequests: 1, idempotent: true })
  await producer.connect()
  const consumer = kafka.consumer({ groupId: 'kjs-ctp', maxWaitTimeInMs: 300 })
  await consumer.connect()
  await consumer.subscribe({ topic: 'kjs-in', fromBeginning: true })
  let done = 0
  let txns = 0
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      if (batch.messages.length === 0) return
      const txn = await producer.transaction()
      try {
        await txn.send({
          topic: 'kjs-out',
          messages: batch.messages.map(m => ({ value: 'out-' + m.value.toString() }))
        })
        const next = (BigInt(batch.lastOffset()) + 1n).toString()
        await txn.sendOffsets({
          consumerGroupId: 'kjs-ctp',
          topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }]
        })
        await txn.commit()
      } catch (e) {
        await txn.abort()
        throw e
      }
      txns++
      done += batch.messages.length
      for (const m of batch.messages) resolveOffset(m.offset)
      await heartbeat()
    }
  })
  const deadline = Date.now() + 60000
  while (Date.now() < deadline && done < n) await new Promise(resolve => setTimeout(resolve, 200))
  await consumer.disconnect()
  await producer.disconnect()

  const values = await readGroup(kafka, 'kjs-out', n, 30000)
  const distinct = new Set(values).size
  check('consume-transform-produce: each input exactly once in kjs-out',
    values.length === n && distinct === n, `${values.length} read, ${distinct} distinct, ${txns} transactions`)
  const offsets = await admin.fetchOffsets({ groupId: 'kjs-ctp', topics: ['kjs-in'] })
  const total = offsets[0].partitions.reduce((sum, p) => sum + Number(p.offset), 0)
  check('kjs-ctp committed the end of kjs-in', total === n, `sum of committed offsets ${total}`)
}

async function fencing (kafka) {
  const topic = 'kjs-fence'
  const old = kafka.producer({ transactionalId: 'kjs-fence', maxInFlightRequests: 1, idempotent: true })
  await old.connect()
  const oldTxn = await old.transaction()
  await oldTxn.send({ topic, messages: [{ value: 'old' }] })
  const fresh = kafka.producer({ transactionalId: 'kjs-fence', maxInFlightRequests: 1, idempotent: true })
  await fresh.connect()
  const txn = await fresh.transaction()
  await txn.send({ topic, messages: [{ value: 'new' }] })
  await txn.commit()
  let fenced = null
  try {
    await oldTxn.commit()
  } catch (e) {
    fenced = e
  }
  check('a second producer with the same transactional id fences the first', fenced !== null,
    fenced ? `${fenced.type || fenced.name}` : 'the old commit succeeded')
  await fresh.disconnect()
  await old.disconnect().catch(() => {})
  const values = await readGroup(kafka, topic, 1, 20000)
  check("the fenced producer's record is never visible to read_committed",
    values.length === 1 && values[0] === 'new', JSON.stringify(values))
}

async function main () {
  const bootstrap = process.argv[2]
  if (!bootstrap) {
    console.error('usage: node txn.js BOOTSTRAP')
    process.exit(2)
  }
  const kafka = new Kafka({ clientId: 'brook-kafkajs-txn', brokers: [bootstrap], logLevel: process.env.KJS_LOG ? logLevel.ERROR : logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({
    waitForLeaders: true,
    topics: ['kjs-ca', 'kjs-in', 'kjs-out', 'kjs-fence'].map(topic => ({ topic, numPartitions: 2 }))
  })
  for (const step of [commitAbort, k => consumeTransformProduce(k, admin), fencing]) {
    try {
      await step(kafka)
    } catch (e) {
      check(step.name || 'consumeTransformProduce', false, String(e && e.stack ? e.stack.split('\n')[0] : e))
    }
  }
  await admin.disconnect()
  const failed = results.filter(ok => !ok).length
  console.log(failed ? `kafkajs transactions: ${failed} failed` : 'kafkajs transactions: all passed')
  process.exit(failed ? 1 : 0)
}

main().catch(e => {
  console.log(`kafkajs FAILED: ${e}`)
  process.exit(1)
})
