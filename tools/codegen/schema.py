"""Kafka message schema model: loads Kafka's JSON message definitions into plain Python objects.

The JSON files are Kafka's own (clients/src/main/resources/common/message/*.json): JSON with
`//` line comments. Version ranges ("0+", "1-3", "none", "5") become sets of ints so that
schemas from two Kafka releases can be merged version by version (see merge.py).
"""

import json
import os
import re

PRIMITIVES = {
    "bool", "int8", "int16", "uint16", "int32", "uint32", "int64", "float64", "uuid", "string",
    "bytes", "records",
}


class SchemaError(Exception):
    pass


def parse_versions(text, upper):
    """Parses a Kafka version range into a set of ints, open ranges ending at `upper`."""
    text = (text or "none").strip()
    if text == "none":
        return frozenset()
    if text.endswith("+"):
        return frozenset(range(int(text[:-1]), upper + 1))
    if "-" in text:
        lo, hi = text.split("-", 1)
        return frozenset(range(int(lo), int(hi) + 1))
    return frozenset([int(text)])


# Open-ended field ranges ("3+") are cut here; message ranges intersect them later.
MAX_VERSION = 100


class Field:
    def __init__(self, raw):
        self.name = raw["name"]
        self.type = raw["type"]
        self.versions = parse_versions(raw.get("versions"), MAX_VERSION)
        self.nullable = parse_versions(raw.get("nullableVersions"), MAX_VERSION)
        self.tagged = parse_versions(raw.get("taggedVersions"), MAX_VERSION)
        self.tag = int(raw["tag"]) if "tag" in raw else None
        self.flexible_override = (parse_versions(raw["flexibleVersions"], MAX_VERSION)
                                  if "flexibleVersions" in raw else None)
        self.default = raw.get("default")
        self.ignorable = bool(raw.get("ignorable", False))
        self.zero_copy = bool(raw.get("zeroCopy", False))
        self.about = raw.get("about", "")
        self.fields = [Field(f) for f in raw["fields"]] if "fields" in raw else None
        if self.tagged and self.tag is None:
            raise SchemaError(f"field {self.name} has taggedVersions but no tag")

    @property
    def is_array(self):
        return self.type.startswith("[]")

    @property
    def element_type(self):
        return self.type[2:] if self.is_array else self.type

    @property
    def is_struct(self):
        return self.element_type not in PRIMITIVES


class Message:
    def __init__(self, raw, source):
        self.source = source
        self.name = raw["name"]
        self.type = raw["type"]
        self.api_key = raw.get("apiKey")
        self.versions = parse_versions(raw.get("validVersions"), MAX_VERSION)
        self.flexible = parse_versions(raw.get("flexibleVersions"), MAX_VERSION)
        self.latest_unstable = bool(raw.get("latestVersionUnstable", False))
        self.listeners = list(raw.get("listeners", []))
        self.deprecated = parse_versions(raw.get("deprecatedVersions"), MAX_VERSION)
        self.fields = [Field(f) for f in raw.get("fields", [])]
        self.common_structs = {}
        for cs in raw.get("commonStructs", []):
            self.common_structs[cs["name"]] = CommonStruct(cs)

    @property
    def key(self):
        """Identity across releases: API messages by key and direction (names change), others by name."""
        if self.api_key is not None:
            return (self.type, self.api_key)
        return (self.type, self.name)


class CommonStruct:
    def __init__(self, raw):
        self.name = raw["name"]
        self.versions = parse_versions(raw.get("versions"), MAX_VERSION)
        self.fields = [Field(f) for f in raw["fields"]]


_COMMENT = re.compile(r"^\s*//.*$", re.M)


def load_file(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        return json.loads(_COMMENT.sub("", text))
    except json.JSONDecodeError as e:
        raise SchemaError(f"{path}: {e}") from e


def load_dir(path):
    """Loads every message schema of one Kafka release: {key: Message}."""
    if not os.path.isdir(path):
        raise SchemaError(f"not a schema folder: {path}")
    out = {}
    for name in sorted(os.listdir(path)):
        if not name.endswith(".json"):
            continue
        msg = Message(load_file(os.path.join(path, name)), os.path.basename(os.path.normpath(path)))
        if msg.key in out:
            raise SchemaError(f"{path}: two schemas for {msg.key}")
        out[msg.key] = msg
    if not out:
        raise SchemaError(f"no schemas in {path}")
    return out
