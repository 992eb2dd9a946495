#!/usr/bin/env python3
"""Reads every record set Brook's records_dump test wrote with kafka-python's decoders.

Each <name>.bin in DUMP_DIR is walked with kafka.record.MemoryRecords, which hands out a
DefaultRecordBatch (magic 2) or LegacyRecordBatch (magic 0 and 1) per entry, and what
kafka-python reads is compared with <name>.json beside it (its format is described in
src/protocol/tests/records_dump_test.cc): the batches cover the file; each batch's CRC validates
and its header fields match; each record's offset, timestamp, timestamp type, key, value and
headers match, legacy records' own CRCs validate, and control records have the expected type.

kafka-python does not expose everything Kafka's Java client does: a legacy batch's base_offset is
the entry's own offset (a compressed wrapper's is its last inner offset), its timestamp is only
the private _timestamp, and it has no producer fields. Those are compared where it has them.

Usage: records_check.py DUMP_DIR [--label LABEL] [--verbose]
Ends with "records-interop: LABEL: N sets passed, N failed, N skipped".
Exit status: 0 when nothing failed, 1 when something failed, 2 on bad usage.
"""

import argparse
import base64
import json
import pathlib
import sys

from kafka.record import MemoryRecords
from kafka.record.default_records import ControlRecord, DefaultRecordBatch

MAX_MISMATCHES = 10
CODECS = {0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}
TIMESTAMP_TYPES = {None: "none", 0: "create_time", 1: "log_append_time"}


class SetCheck:
    def __init__(self, verbose):
        self.verbose = verbose
        self.mismatches = []

    def shorten(self, v):
        s = repr(v)
        if self.verbose or len(s) <= 80:
            return s
        return "%s...(%d chars)" % (s[:60], len(s))

    def expect(self, where, want, got):
        if want == got:
            return
        if (not self.verbose and isinstance(want, str) and isinstance(got, str)
                and max(len(want), len(got)) > 80):
            # Long base64 values: show where they part, not how they start.
            k = 0
            while k < len(want) and k < len(got) and want[k] == got[k]:
                k += 1
            lo = max(0, k - 20)
            self.mismatches.append(
                "%s: %d vs %d base64 chars, first difference at %d: want ...%s..., "
                "kafka-python read ...%s..." % (where, len(want), len(got), k,
                                                want[lo:k + 20], got[lo:k + 20]))
            return
        self.mismatches.append("%s: want %s, kafka-python read %s"
                               % (where, self.shorten(want), self.shorten(got)))

    def check_set(self, data, want):
        records = MemoryRecords(data)
        self.expect("set: valid bytes", len(data), records.valid_bytes())
        batches = []
        while records.has_next():
            batches.append(records.next_batch())
        want_batches = want["batches"]
        self.expect("set: batch count", len(want_batches), len(batches))
        self.expect("set: bytes covered by batches", len(data),
                    sum(b.size_in_bytes for b in batches))
        for i, (batch, wb) in enumerate(zip(batches, want_batches)):
            self.check_batch("batch %d" % i, batch, wb)

    def check_batch(self, at, batch, want):
        # validate_crc() must come before iteration, which replaces the buffer.
        self.expect(at + ": CRC valid", True, batch.validate_crc())
        magic = want["magic"]
        self.expect(at + ": magic", magic, batch.magic)
        self.expect(at + ": codec", want["codec"], CODECS.get(batch.compression_type))
        self.expect(at + ": timestamp type", want["timestamp_type"],
                    TIMESTAMP_TYPES.get(batch.timestamp_type))
        if isinstance(batch, DefaultRecordBatch):
            self.expect(at + ": base offset", want["base_offset"], batch.base_offset)
            self.expect(at + ": last offset", want["last_offset"], batch.last_offset)
            self.expect(at + ": partition leader epoch", want["partition_leader_epoch"],
                        batch.leader_epoch)
            self.expect(at + ": max timestamp", want["max_timestamp"], batch.max_timestamp)
            self.expect(at + ": producer id", want["producer_id"], batch.producer_id)
            self.expect(at + ": producer epoch", want["producer_epoch"], batch.producer_epoch)
            self.expect(at + ": base sequence", want["base_sequence"], batch.base_sequence)
            self.expect(at + ": last sequence", want["last_sequence"], batch.last_sequence)
            self.expect(at + ": transactional", want["transactional"], batch.is_transactional)
            self.expect(at + ": control", want["control"], batch.is_control_batch)
            self.expect(at + ": record count", len(want["records"]), batch.records_count)
        else:
            self.expect(at + ": entry offset", want["last_offset"], batch.base_offset)
            timestamp = batch._timestamp  # pylint: disable=protected-access
            self.expect(at + ": entry timestamp", want["max_timestamp"],
                        -1 if timestamp is None else timestamp)
        try:
            got = list(batch)
        except Exception as e:  # pylint: disable=broad-except
            self.mismatches.append("%s: iterating raised %r" % (at, e))
            return
        self.expect(at + ": record count", len(want["records"]), len(got))
        for i, (r, wr) in enumerate(zip(got, want["records"])):
            self.check_record("%s record %d" % (at, i), r, wr, magic, want["control"])

    def check_record(self, at, r, want, magic, control):
        if magic < 2:
            self.expect(at + ": CRC valid", True, r.validate_crc())
        self.expect(at + ": offset", want["offset"], r.offset)
        self.expect(at + ": timestamp", want["timestamp"],
                    -1 if r.timestamp is None else r.timestamp)
        self.expect(at + ": timestamp type", want["timestamp_type"],
                    TIMESTAMP_TYPES.get(r.timestamp_type))
        self.expect(at + ": key", want["key"], b64(r.key))
        self.expect(at + ": value", want["value"], b64(r.value))
        headers = [{"key": k, "value": b64(v)} for k, v in r.headers]
        self.expect(at + ": headers", want["headers"], headers)
        if control:
            self.expect(at + ": is a control record", True, isinstance(r, ControlRecord))
            if isinstance(r, ControlRecord):
                self.expect(at + ": control record type", want["control_type"], r.type)


def b64(b):
    return None if b is None else base64.b64encode(bytes(b)).decode("ascii")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dump_dir", type=pathlib.Path)
    ap.add_argument("--label", default="python kafka-python")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    sets = sorted(args.dump_dir.glob("*.json"))
    if not sets:
        print("records_check.py: no <name>.json in %s" % args.dump_dir, file=sys.stderr)
        return 2
    passed = failed = 0
    for path in sets:
        name = path.name[:-len(".json")]
        want = json.loads(path.read_text(encoding="utf-8"))
        data = path.with_suffix(".bin").read_bytes()
        check = SetCheck(args.verbose)
        try:
            check.check_set(data, want)
        except Exception as e:  # pylint: disable=broad-except
            check.mismatches.append("kafka-python raised %r" % e)
        if not check.mismatches:
            passed += 1
            continue
        failed += 1
        shown = check.mismatches if args.verbose else check.mismatches[:MAX_MISMATCHES]
        for m in shown:
            print("records-interop: %s: %s: %s" % (args.label, name, m))
        if len(shown) < len(check.mismatches):
            print("records-interop: %s: %s: ... and %d more"
                  % (args.label, name, len(check.mismatches) - len(shown)))
    print("records-interop: %s: %d sets passed, %d failed, 0 skipped"
          % (args.label, passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
