#!/usr/bin/env python3
"""Checks the module dependency order: a file in src/<module>/ may include only headers of its own
module and of the modules listed for it here. Nothing depends on broker/; the client depends on
protocol and net only."""

import os
import re
import sys

ALLOWED = {
    "base": set(),
    "protocol": {"base"},
    "net": {"base", "protocol"},
    "storage": {"base", "protocol"},
    "coordinator": {"base", "protocol", "net", "storage"},
    "security": {"base", "protocol", "net", "storage"},
    "broker": {"base", "protocol", "net", "storage", "coordinator", "security"},
    "client": {"base", "protocol", "net"},
    "cli": {"base", "protocol", "net", "client"},
    "app": {"base", "protocol", "net", "storage", "coordinator", "security", "broker"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/')


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
    errors = []
    count = 0
    for module in sorted(os.listdir(root)):
        mdir = os.path.join(root, module)
        if not os.path.isdir(mdir):
            continue
        if module not in ALLOWED:
            errors.append(f"src/{module}: module not in the dependency table (scripts/check-deps.py)")
            continue
        for dirpath, _, names in os.walk(mdir):
            for name in names:
                if not name.endswith((".h", ".cc")):
                    continue
                path = os.path.join(dirpath, name)
                count += 1
                with open(path, encoding="utf-8") as f:
                    for lineno, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if m and m.group(1) in ALLOWED and m.group(1) != module \
                                and m.group(1) not in ALLOWED[module]:
                            rel = os.path.relpath(path, os.path.join(root, ".."))
                            errors.append(f"{rel}:{lineno}: {module} may not include {m.group(1)}/")
    for e in errors:
        print(e, file=sys.stderr)
    print(f"deps: {count} files, {len(errors)} violations")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
