#!/usr/bin/env python3
"""Rebuilds tests/data/captures/index.json from each client's manifest.jsonl and client.json, and
prints what every client's capture holds.

Usage: summarize.py [CAPTURES_DIR]   (default: tests/data/captures beside this folder)
"""
import collections
import json
import os
import sys


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "data", "captures")
    index = {"clients": {}}
    total_bytes = 0
    for client in sorted(os.listdir(root)):
        d = os.path.join(root, client)
        manifest = os.path.join(d, "manifest.jsonl")
        if not os.path.isfile(manifest):
            continue
        info = {}
        if os.path.isfile(os.path.join(d, "client.json")):
            with open(os.path.join(d, "client.json")) as f:
                info = json.load(f)
        apis = collections.Counter()
        requests = answered = 0
        with open(manifest) as f:
            for line in f:
                e = json.loads(line)
                apis[(e["api_key"], e["api_name"], e["api_version"])] += 1
                requests += 1
                answered += e["resp"] is not None
        size = sum(os.path.getsize(os.path.join(d, n)) for n in os.listdir(d))
        total_bytes += size
        index["clients"][client] = {
            "library": info.get("library"),
            "kafka": info.get("kafka"),
            "captured": info.get("captured"),
            "requests": requests,
            "answered": answered,
            "bytes": size,
            "apis": {"%s v%d" % (name, v): n for (_, name, v), n in sorted(apis.items())},
        }
        print("%-16s %-45s %3d requests, %3d answered, %7d bytes"
              % (client, info.get("library") or "?", requests, answered, size))
        print("    " + ", ".join("%s v%d x%d" % (name, v, n)
                                 for (_, name, v), n in sorted(apis.items())))
    index["total_bytes"] = total_bytes
    with open(os.path.join(root, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")
    print("total: %d bytes in %s" % (total_bytes, os.path.normpath(root)))


if __name__ == "__main__":
    main()
