// One consumer-group member for groups_check.py, with KafkaJS (the copy that
// tests/compat/clients/run.sh installs: ../clients/kafkajs/node_modules, kafkajs 2.2.4).
//
// Usage: node kafkajs_worker.js BOOTSTRAP GROUP TOPIC NAME [key=value...]
//   keys: assignor=range|roundrobin   (default range)
//         session_ms=6000 heartbeat_ms=1000 poll_interval_ms=20000 (the rebalance timeout)
//
// KafkaJS speaks only the classic protocol. Its one built-in assigner is called
// "RoundRobinAssigner", a protocol name no other client offers, so a KafkaJS member could never
// share a group with them; assignor=range uses rangeAssigner below instead: Kafka's range
// assignment (per topic, members sorted by member id, the first ones one partition more) under
// the protocol name "range" that the Java client, librdkafka, kafka-python and franz-go use, with
// the version 0 subscription and assignment of Kafka's ConsumerProtocol (KafkaJS's
// AssignerProtocol). assignor=roundrobin is KafkaJS's own "RoundRobinAssigner".
//
// Subscribes TOPIC in GROUP (fromBeginning, autoCommit off) and in eachBatch commits, with
// commitOffsets, the offset after the batch's last record. Writes to stdout one line each (the
// protocol of groups_worker.py):
//   assigned P,P,...|-   rec P OFFSET KEY   committed P:OFF   commit-error TEXT   error TEXT
//   closed (after stdin ended or said "stop" and the consumer disconnected, leaving the group)
// KafkaJS's own log goes to stderr.
'use strict'

const path = require('path')
const kafkajs = require(path.join(__dirname, '..', 'clients', 'kafkajs', 'node_modules', 'kafkajs'))
const { Kafka, logLevel, AssignerProtocol, PartitionAssigners } = kafkajs
const { MemberMetadata, MemberAssignment } = AssignerProtocol

function emit(line) {
  process.stdout.write(line + '\n')
}

const rangeAssigner = ({ cluster }) => ({
  name: 'range',
  version: 0,
  async assign({ members, topics }) {
    const subscribed = {}
    for (const { memberId, memberMetadata } of members) {
      subscribed[memberId] = MemberMetadata.decode(memberMetadata).topics
    }
    const assignment = {}
    for (const { memberId } of members) assignment[memberId] = {}
    for (const topic of topics) {
      const consumers = members
        .map(m => m.memberId)
        .filter(id => subscribed[id].includes(topic))
        .sort()
      const partitions = cluster
        .findTopicPartitionMetadata(topic)
        .map(m => m.partitionId)
        .sort((a, b) => a - b)
      const per = Math.floor(partitions.length / consumers.length)
      const extra = partitions.length % consumers.length
      let next = 0
      consumers.forEach((id, i) => {
        const n = per + (i < extra ? 1 : 0)
        assignment[id][topic] = partitions.slice(next, next + n)
        next += n
      })
    }
    return Object.keys(assignment).map(memberId => ({
      memberId,
      memberAssignment: MemberAssignment.encode({ version: this.version, assignment: assignment[memberId] }),
    }))
  },
  protocol({ topics }) {
    return { name: this.name, metadata: MemberMetadata.encode({ version: this.version, topics }) }
  },
})

async function main() {
  const [bootstrap, group, topic, name, ...rest] = process.argv.slice(2)
  if (!name) {
    process.stderr.write('usage: node kafkajs_worker.js BOOTSTRAP GROUP TOPIC NAME [key=value...]\n')
    process.exit(2)
  }
  const opt = { assignor: 'range', session_ms: '6000', heartbeat_ms: '1000', poll_interval_ms: '20000', protocol: 'classic' }
  for (const a of rest) {
    const eq = a.indexOf('=')
    opt[a.slice(0, eq)] = a.slice(eq + 1)
  }
  if (opt.protocol !== 'classic') {
    emit(`error kafkajs has no group.protocol=${opt.protocol}`)
    process.exit(2)
  }
  const kafka = new Kafka({
    clientId: name,
    brokers: [bootstrap],
    logLevel: logLevel.WARN,
    logCreator: () => ({ level, log }) => {
      const { message, ...extra } = log
      process.stderr.write(`${new Date().toISOString()} ${level} ${message} ${JSON.stringify(extra)}\n`)
    },
  })
  const consumer = kafka.consumer({
    groupId: group,
    sessionTimeout: Number(opt.session_ms),
    heartbeatInterval: Number(opt.heartbeat_ms),
    rebalanceTimeout: Number(opt.poll_interval_ms),
    maxWaitTimeInMs: 500,
    metadataMaxAge: 5000,
    partitionAssigners: [opt.assignor === 'range' ? rangeAssigner : PartitionAssigners.roundRobin],
  })
  const { GROUP_JOIN, CRASH, REBALANCING } = consumer.events
  consumer.on(GROUP_JOIN, e => {
    const parts = (e.payload.memberAssignment[topic] || []).slice().sort((a, b) => a - b)
    emit(`assigned ${parts.length ? parts.join(',') : '-'}`)
  })
  consumer.on(REBALANCING, () => emit('assigned -'))
  consumer.on(CRASH, e => emit(`error crash: ${e.payload.error && e.payload.error.message}`))

  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    try {
      await consumer.disconnect()
      emit('closed')
      process.exit(0)
    } catch (e) {
      emit(`error disconnect: ${e.message}`)
      process.exit(1)
    }
  }
  process.stdin.on('data', d => {
    if (d.toString().split('\n').some(l => l.trim() === 'stop')) stop()
  })
  process.stdin.on('end', stop)

  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      if (batch.messages.length === 0) return
      for (const m of batch.messages) {
        emit(`rec ${batch.partition} ${m.offset} ${m.key === null ? '-' : m.key.toString()}`)
      }
      const next = (BigInt(batch.messages[batch.messages.length - 1].offset) + 1n).toString()
      try {
        await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }])
        emit(`committed ${batch.partition}:${next}`)
      } catch (e) {
        emit(`commit-error ${e.name}: ${e.message}`)
      }
    },
  })
}

main().catch(e => {
  emit(`error ${e.name}: ${e.message}`)
  process.exit(1)
})
