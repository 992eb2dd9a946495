// KafkaJS over a secured listener of brookd: TLS (with or without a client certificate) and SASL
// (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER).
//
// Usage: node security.js JSON, with JSON {"bootstrap", "mode": "roundtrip"|"refused", "topic",
// "count", "ca", "cert", "key", "mechanism", "user", "password", "token"} (TLS when "ca" is set,
// SASL when "mechanism" is). roundtrip: produces count records and reads them back in a group;
// prints "ok N". refused: expects authentication to fail; prints "refused: <error>". Exit status 1
// otherwise.
'use strict'

const fs = require('fs')
const { Kafka, logLevel } = require('kafkajs')

const spec = JSON.parse(process.argv[2])

function config () {
  const c = { clientId: 'kjs-security', brokers: [spec.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } }
  if (spec.ca) {
    c.ssl = { ca: [fs.readFileSync(spec.ca, 'utf-8')] }
    if (spec.cert) {
      c.ssl.cert = fs.readFileSync(spec.cert, 'utf-8')
      c.ssl.key = fs.readFileSync(spec.key, 'utf-8')
    }
  }
  if (spec.mechanism === 'OAUTHBEARER') {
    c.sasl = { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: spec.token }) }
  } else if (spec.mechanism) {
    c.sasl = { mechanism: spec.mechanism.toLowerCase(), username: spec.user, password: spec.password }
  }
  return c
}

async function roundtrip (kafka) {
  const producer = kafka.producer()
  await producer.connect()
  const sent = []
  for (let i = 0; i < spec.count; i++) sent.push(`kjs-${i}`)
  await producer.send({ topic: spec.topic, acks: -1, messages: sent.map(v => ({ partition: 0, value: v })) })
  await producer.disconnect()
  const consumer = kafka.consumer({ groupId: `kjs-security-${Date.now()}`, maxWaitTimeInMs: 300 })
  await consumer.connect()
  await consumer.subscribe({ topic: spec.topic, fromBeginning: true })
  const got = []
  await consumer.run({
    eachMessage: async ({ message }) => {
      const v = message.value.toString()
      if (v.startsWith('kjs-')) got.push(v)
    }
  })
  const deadline = Date.now() + 30000
  while (Date.now() < deadline && got.length < sent.length) await new Promise(resolve => setTimeout(resolve, 200))
  await consumer.disconnect()
  if (JSON.stringify(got) !== JSON.stringify(sent)) throw new Error(`read back ${got.length} of ${sent.length}: ${got}`)
  console.log(`ok ${got.length}`)
}

async function refused (kafka) {
  const admin = kafka.admin()
  try {
    await admin.connect()
    await admin.listTopics()
  } catch (e) {
    console.log(`refused: ${e.name}: ${e.message}`)
    return
  } finally {
    await admin.disconnect().catch(() => {})
  }
  throw new Error('the connection was not refused')
}

const kafka = new Kafka(config())
const run = spec.mode === 'refused' ? refused(kafka) : roundtrip(kafka)
run.then(() => process.exit(0), e => { console.error(`kafkajs: ${e.message}`); process.exit(1) })
