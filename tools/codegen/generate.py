#!/usr/bin/env python3
"""Generates Brook's C++ codec from Kafka's JSON message schemas.

Usage:
  generate.py --new DIR --old DIR --out DIR --tests-out DIR [--check]

--new is the newest Kafka release's message folder (clients/src/main/resources/common/message of
a 4.x source tree), --old the 3.9 one; Brook covers the union of their versions. --check writes
nothing and exits 1 if the committed files differ from what the schemas generate.
"""

import argparse
import difflib
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import emit_cpp  # noqa: E402
import emit_tests  # noqa: E402
import merge  # noqa: E402
import schema  # noqa: E402


def generate(new_dir, old_dir):
    """Returns ({relative path: text} for the codec, {name: text} for tests, overlap diffs)."""
    new = schema.load_dir(new_dir)
    old = schema.load_dir(old_dir)
    diffs = merge.check_overlap(new, old)
    messages = merge.merge_all(new, old)
    files = {"support.h": emit_cpp.SUPPORT_H}
    for m in messages:
        h, c = emit_cpp.emit_message(m)
        n = emit_cpp.snake(m.name)
        files[f"{n}.h"] = h
        files[f"{n}.cc"] = c
    h, c = emit_cpp.emit_api_table(messages)
    files["api_keys.h"] = h
    files["api_keys.cc"] = c
    files["messages.h"] = emit_cpp.emit_messages_h(messages)
    return files, emit_tests.emit_tests(messages), diffs


def _sync(out_dir, files, check):
    """Writes `files` into out_dir (removing stale generated files); in check mode, reports drift."""
    drift = []
    existing = set()
    if os.path.isdir(out_dir):
        for name in os.listdir(out_dir):
            path = os.path.join(out_dir, name)
            with open(path, encoding="utf-8") as f:
                first = f.readline().rstrip("\n")
            if first == emit_cpp.GENERATED_BANNER:
                existing.add(name)
    for name in sorted(existing - set(files)):
        drift.append(f"stale: {os.path.join(out_dir, name)}")
        if not check:
            os.remove(os.path.join(out_dir, name))
    os.makedirs(out_dir, exist_ok=True)
    for name, text in sorted(files.items()):
        path = os.path.join(out_dir, name)
        old = None
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                old = f.read()
        if old != text:
            if check:
                diff = difflib.unified_diff((old or "").splitlines(), text.splitlines(), path, path,
                                            lineterm="", n=1)
                drift.append("\n".join(list(diff)[:20]))
            else:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
    return drift


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--new", required=True, help="newest release's message schema folder (4.x)")
    ap.add_argument("--old", required=True, help="older release's message schema folder (3.9)")
    ap.add_argument("--out", required=True, help="folder for the generated codec")
    ap.add_argument("--tests-out", required=True, help="folder for the generated tests")
    ap.add_argument("--check", action="store_true", help="report drift instead of writing")
    args = ap.parse_args(argv)
    try:
        files, tests, diffs = generate(args.new, args.old)
    except schema.SchemaError as e:
        print(f"codegen: {e}", file=sys.stderr)
        return 2
    for name, v in diffs:
        print(f"codegen: note: {name} v{v} differs between the releases; the newer one is used",
              file=sys.stderr)
    drift = _sync(args.out, files, args.check) + _sync(args.tests_out, tests, args.check)
    if args.check and drift:
        print("codegen: generated code differs from the schemas; run tools/codegen/generate.py",
              file=sys.stderr)
        for d in drift[:20]:
            print(d, file=sys.stderr)
        return 1
    if not args.check:
        print(f"codegen: {len(files)} codec files, {len(tests)} test files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
