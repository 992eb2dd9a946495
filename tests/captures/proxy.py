#!/usr/bin/env python3
"""A recording TCP proxy for the Kafka protocol (standard library only).

Clients connect to the proxy; every connection is relayed byte for byte to a Kafka broker, and
nothing is ever rewritten. Beside the relay, both directions are cut into Kafka frames (a
big-endian int32 size, then the body), and each request is written next to the response carrying
the same correlation id on the same connection:

    OUT/<seq>-<ApiName>-v<version>.req.bin    the request frame's body (header + message)
    OUT/<seq>-<ApiName>-v<version>.resp.bin   the response frame's body (header + message)
    OUT/manifest.jsonl                        one JSON object per request, in seq order

seq counts requests in the order the proxy received them, over all of the client's connections.
A request that gets no answer (Produce with acks=0, or one cut off by a disconnect) has no
.resp.bin and "resp": null in the manifest.

Because Kafka tells clients where to connect (Metadata, FindCoordinator), the broker must advertise
the proxy's address, not its own; run-kafka.sh sets advertised.listeners that way.

Usage: proxy.py --listen PORT --upstream PORT --out DIR --client NAME [--clean]
                [--max-per-api N] [--max-seconds S] [--ready-file PATH]
The proxy runs until SIGTERM or SIGINT (or --max-seconds), then writes the manifest and exits.
"""

import argparse
import json
import os
import signal
import socket
import struct
import sys
import threading
import time

# Kafka API keys and names, as in Kafka's message schemas (clients/src/main/resources/common/message).
API_NAMES = {
    0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata", 4: "LeaderAndIsr",
    5: "StopReplica", 6: "UpdateMetadata", 7: "ControlledShutdown", 8: "OffsetCommit",
    9: "OffsetFetch", 10: "FindCoordinator", 11: "JoinGroup", 12: "Heartbeat", 13: "LeaveGroup",
    14: "SyncGroup", 15: "DescribeGroups", 16: "ListGroups", 17: "SaslHandshake",
    18: "ApiVersions", 19: "CreateTopics", 20: "DeleteTopics", 21: "DeleteRecords",
    22: "InitProducerId", 23: "OffsetForLeaderEpoch", 24: "AddPartitionsToTxn",
    25: "AddOffsetsToTxn", 26: "EndTxn", 27: "WriteTxnMarkers", 28: "TxnOffsetCommit",
    29: "DescribeAcls", 30: "CreateAcls", 31: "DeleteAcls", 32: "DescribeConfigs",
    33: "AlterConfigs", 34: "AlterReplicaLogDirs", 35: "DescribeLogDirs", 36: "SaslAuthenticate",
    37: "CreatePartitions", 38: "CreateDelegationToken", 39: "RenewDelegationToken",
    40: "ExpireDelegationToken", 41: "DescribeDelegationToken", 42: "DeleteGroups",
    43: "ElectLeaders", 44: "IncrementalAlterConfigs", 45: "AlterPartitionReassignments",
    46: "ListPartitionReassignments", 47: "OffsetDelete", 48: "DescribeClientQuotas",
    49: "AlterClientQuotas", 50: "DescribeUserScramCredentials", 51: "AlterUserScramCredentials",
    52: "Vote", 53: "BeginQuorumEpoch", 54: "EndQuorumEpoch", 55: "DescribeQuorum",
    56: "AlterPartition", 57: "UpdateFeatures", 58: "Envelope", 59: "FetchSnapshot",
    60: "DescribeCluster", 61: "DescribeProducers", 62: "BrokerRegistration",
    63: "BrokerHeartbeat", 64: "UnregisterBroker", 65: "DescribeTransactions",
    66: "ListTransactions", 67: "AllocateProducerIds", 68: "ConsumerGroupHeartbeat",
    69: "ConsumerGroupDescribe", 70: "ControllerRegistration", 71: "GetTelemetrySubscriptions",
    72: "PushTelemetry", 73: "AssignReplicasToDirs", 74: "ListConfigResources",
    75: "DescribeTopicPartitions", 76: "ShareGroupHeartbeat", 77: "ShareGroupDescribe",
    78: "ShareFetch", 79: "ShareAcknowledge", 80: "AddRaftVoter", 81: "RemoveRaftVoter",
    82: "UpdateRaftVoter", 83: "InitializeShareGroupState", 84: "ReadShareGroupState",
    85: "WriteShareGroupState", 86: "DeleteShareGroupState", 87: "ReadShareGroupStateSummary",
    88: "StreamsGroupHeartbeat", 89: "StreamsGroupDescribe", 90: "DescribeShareGroupOffsets",
    91: "AlterShareGroupOffsets", 92: "DeleteShareGroupOffsets",
    93: "StreamsGroupTopologyDescriptionUpdate", 94: "UnregisterController",
}

# A frame larger than this means the stream is not Kafka (or is encrypted): stop parsing it, but
# keep relaying.
MAX_FRAME = 256 * 1024 * 1024


def api_name(key):
    return API_NAMES.get(key, "Api%d" % key)


class Recorder:
    """Pairs requests with responses and writes them out. Shared by all connection threads."""

    def __init__(self, out_dir, client, max_per_api):
        self.out_dir = out_dir
        self.client = client
        self.max_per_api = max_per_api
        self.lock = threading.Lock()
        self.seq = 0
        self.pending = {}  # (connection, correlation id) -> manifest entry
        self.entries = []  # every recorded request, in seq order
        self.per_api = {}  # (api key, version) -> requests recorded
        self.skipped = 0

    def _write(self, name, body):
        with open(os.path.join(self.out_dir, name), "wb") as f:
            f.write(body)

    def request(self, conn_id, body):
        if len(body) < 8:
            return
        key, version, corr = struct.unpack_from(">hhi", body, 0)
        client_id = None
        if len(body) >= 10:
            (n,) = struct.unpack_from(">h", body, 8)
            if n >= 0 and len(body) >= 10 + n:
                client_id = body[10:10 + n].decode("utf-8", "replace")
        with self.lock:
            count = self.per_api.get((key, version), 0)
            if self.max_per_api and count >= self.max_per_api:
                # Still tracked, so that its response is not taken for another request's.
                self.pending[(conn_id, corr)] = None
                self.skipped += 1
                return
            self.per_api[(key, version)] = count + 1
            self.seq += 1
            base = "%04d-%s-v%d" % (self.seq, api_name(key), version)
            entry = {
                "client": self.client, "seq": self.seq, "api_key": key,
                "api_name": api_name(key), "api_version": version, "correlation_id": corr,
                "client_id": client_id, "connection": conn_id,
                "req": base + ".req.bin", "resp": None,
                "req_bytes": len(body), "resp_bytes": None,
            }
            self.entries.append(entry)
            self.pending[(conn_id, corr)] = entry
            self._write(entry["req"], body)

    def response(self, conn_id, body):
        if len(body) < 4:
            return
        (corr,) = struct.unpack_from(">i", body, 0)
        with self.lock:
            if (conn_id, corr) not in self.pending:
                print("proxy: connection %d: response with unknown correlation id %d"
                      % (conn_id, corr), file=sys.stderr)
                return
            entry = self.pending.pop((conn_id, corr))
            if entry is None:
                return
            entry["resp"] = entry["req"][:-len(".req.bin")] + ".resp.bin"
            entry["resp_bytes"] = len(body)
            self._write(entry["resp"], body)

    def write_manifest(self):
        with self.lock:
            tmp = os.path.join(self.out_dir, "manifest.jsonl.tmp")
            with open(tmp, "w") as f:
                for e in self.entries:
                    f.write(json.dumps(e, sort_keys=False) + "\n")
            os.replace(tmp, os.path.join(self.out_dir, "manifest.jsonl"))
            answered = sum(1 for e in self.entries if e["resp"])
            return len(self.entries), answered, self.skipped


class Framer:
    """Cuts a byte stream into frame bodies (without the int32 size prefix)."""

    def __init__(self, on_frame):
        self.buf = bytearray()
        self.on_frame = on_frame
        self.broken = False

    def feed(self, data):
        if self.broken:
            return
        self.buf += data
        while len(self.buf) >= 4:
            (size,) = struct.unpack_from(">i", self.buf, 0)
            if size < 0 or size > MAX_FRAME:
                self.broken = True
                self.buf.clear()
                print("proxy: frame size %d is not Kafka; relaying without recording" % size,
                      file=sys.stderr)
                return
            if len(self.buf) < 4 + size:
                return
            body = bytes(self.buf[4:4 + size])
            del self.buf[:4 + size]
            self.on_frame(body)


def pump(src, dst, framer, done):
    """Relays src to dst unchanged, feeding what passes to framer."""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            # Record before relaying: once a request is relayed its response may come back on
            # the other thread, and it must find the request already recorded.
            try:
                framer.feed(data)
            except Exception as e:  # recording must never break the relay
                framer.broken = True
                print("proxy: recording failed: %r" % (e,), file=sys.stderr)
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        done()


class Proxy:
    def __init__(self, args, recorder):
        self.args = args
        self.recorder = recorder
        self.conn_seq = 0
        self.sockets = set()
        self.lock = threading.Lock()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", args.listen))
        self.listener.listen(64)

    def serve(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # listener closed: shutting down
            threading.Thread(target=self.handle, args=(client,), daemon=True).start()

    def handle(self, client):
        with self.lock:
            self.conn_seq += 1
            conn_id = self.conn_seq
        try:
            upstream = socket.create_connection(("127.0.0.1", self.args.upstream), timeout=10)
            upstream.settimeout(None)
        except OSError as e:
            print("proxy: cannot reach Kafka on port %d: %s" % (self.args.upstream, e),
                  file=sys.stderr)
            client.close()
            return
        for s in (client, upstream):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.lock:
            self.sockets.update((client, upstream))
        remaining = [2]
        lock = threading.Lock()

        def done():
            with lock:
                remaining[0] -= 1
                last = remaining[0] == 0
            if last:
                with self.lock:
                    self.sockets.discard(client)
                    self.sockets.discard(upstream)
                client.close()
                upstream.close()

        req = Framer(lambda body: self.recorder.request(conn_id, body))
        resp = Framer(lambda body: self.recorder.response(conn_id, body))
        threading.Thread(target=pump, args=(client, upstream, req, done), daemon=True).start()
        pump(upstream, client, resp, done)

    def close(self):
        self.listener.close()
        with self.lock:
            for s in list(self.sockets):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--listen", type=int, required=True, help="port to listen on (127.0.0.1)")
    ap.add_argument("--upstream", type=int, required=True, help="Kafka's port on 127.0.0.1")
    ap.add_argument("--out", required=True, help="folder for the frames and manifest.jsonl")
    ap.add_argument("--client", required=True, help="client name written in the manifest")
    ap.add_argument("--max-per-api", type=int, default=0,
                    help="record at most N requests per API and version (0: all)")
    ap.add_argument("--max-seconds", type=float, default=1800,
                    help="exit after this long even if not told to (default 1800)")
    ap.add_argument("--clean", action="store_true", help="empty the output folder first")
    ap.add_argument("--ready-file", help="create this file once listening")
    args = ap.parse_args()

    os.makedirs(args.out, exist_ok=True)
    if args.clean:
        for name in os.listdir(args.out):
            if name.endswith((".bin", ".jsonl")):
                os.remove(os.path.join(args.out, name))
    recorder = Recorder(args.out, args.client, args.max_per_api)
    proxy = Proxy(args, recorder)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=proxy.serve, daemon=True).start()
    if args.ready_file:
        open(args.ready_file, "w").close()
    print("proxy: 127.0.0.1:%d -> 127.0.0.1:%d, recording %s into %s"
          % (args.listen, args.upstream, args.client, args.out), file=sys.stderr, flush=True)
    if not stop.wait(args.max_seconds):
        print("proxy: --max-seconds reached", file=sys.stderr)
    proxy.close()
    time.sleep(0.2)  # let the relay threads hand over their last frames
    n, answered, skipped = recorder.write_manifest()
    print("proxy: %s: %d requests recorded, %d answered, %d over --max-per-api not recorded"
          % (args.client, n, answered, skipped), file=sys.stderr)


if __name__ == "__main__":
    main()
