#!/usr/bin/env python3
"""Runs benchmark binaries and prints each brook/<case> beside reference/<case> from the same run,
with the ratio of their throughputs (brook / reference; 1.0 means as fast as the reference).

Usage: bench/report.py BINARY [BINARY...] [-- extra benchmark flags]
"""

import json
import subprocess
import sys


def run(binary, extra):
    out = subprocess.run([binary, "--benchmark_format=json"] + extra, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)["benchmarks"]


def main(argv):
    if "--" in argv:
        i = argv.index("--")
        binaries, extra = argv[:i], argv[i + 1:]
    else:
        binaries, extra = argv, ["--benchmark_min_time=0.3"]
    if not binaries:
        print(__doc__, file=sys.stderr)
        return 2
    rows = {}
    for b in binaries:
        for bm in run(b, extra):
            rows[bm["name"]] = bm
    print(f"{'case':<58} {'brook':>12} {'reference':>12} {'ratio':>7}  extra")
    for name, bm in sorted(rows.items()):
        if not name.startswith("brook/"):
            continue
        case = name[len("brook/"):]
        ref = rows.get("reference/" + case)
        mine = bm.get("bytes_per_second", 0) / 1e6
        theirs = ref.get("bytes_per_second", 0) / 1e6 if ref else 0
        ratio = f"{mine / theirs:.3f}" if theirs else "-"
        extras = " ".join(f"{k}={bm[k]:.1f}" for k in sorted(bm) if k.startswith("ns_per"))
        print(f"{case:<58} {mine:>9.0f} MB/s {theirs:>7.0f} MB/s {ratio:>7}  {extras}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
