"""Merges the schemas of two Kafka releases into one model that covers the union of versions.

Brook serves, for every API, each version from the oldest that the old release (3.9.x) knew to the
newest that the new release (4.x) defines. Each version is owned by one release: the new one where
it defines the version, the old one otherwise (versions that KIP-896 removed, and APIs that 4.0
dropped). A merged field is present in a version when the owning release has it there. Fields are
matched by name; the order of fields on the wire is kept from both releases.

The evolution check (`check_overlap`) compares the wire layout of every version that both releases
define, so that a silent incompatibility between them cannot pass unnoticed.
"""

from schema import PRIMITIVES, SchemaError


class MergedField:
    """A field of the merged model: attributes are sets of versions of the message."""

    def __init__(self, name, type_):
        self.name = name
        self.type = type_
        self.versions = set()
        self.nullable = set()
        self.tagged = set()
        self.tag = None
        self.flexible_override = None  # set of versions where the field is flexible, or None
        self.default = None
        self.ignorable = False
        self.zero_copy = False
        self.about = ""
        self.fields = None  # list of MergedField for inline structs

    @property
    def is_array(self):
        return self.type.startswith("[]")

    @property
    def element_type(self):
        return self.type[2:] if self.is_array else self.type

    @property
    def is_struct(self):
        return self.element_type not in PRIMITIVES


class MergedStruct:
    def __init__(self, name, fields, common):
        self.name = name
        self.fields = fields
        self.common = common


class MergedMessage:
    def __init__(self, name, type_, api_key):
        self.name = name
        self.type = type_
        self.api_key = api_key
        self.versions = set()
        self.flexible = set()
        self.latest_unstable = False
        self.listeners = []
        self.fields = []
        self.common_structs = {}  # name -> list of MergedField
        self.owners = {}  # version -> release folder name
        self.old_names = set()
        self.removed_in_new = False  # only the old release defines it

    @property
    def min_version(self):
        return min(self.versions)

    @property
    def max_version(self):
        return max(self.versions)

    @property
    def first_flexible(self):
        flex = sorted(self.flexible & self.versions)
        return flex[0] if flex else None


def _merge_fields(parts):
    """parts: list of (fields, versions-owned) pairs, newest release first."""
    merged = []
    by_name = {}
    for fields, owned in parts:
        prev = None
        for f in fields:
            mf = by_name.get(f.name)
            if mf is None:
                mf = MergedField(f.name, f.type)
                by_name[f.name] = mf
                pos = 0 if prev is None else merged.index(prev) + 1
                merged.insert(pos, mf)
            elif mf.element_type != f.element_type or mf.is_array != f.is_array:
                if f.is_struct and mf.is_struct and mf.is_array == f.is_array and f.fields is not None:
                    pass  # a struct renamed between releases; the newest name is kept
                else:
                    raise SchemaError(f"field {f.name}: type {f.type} vs {mf.type}")
            here = f.versions & owned
            mf.versions |= here
            mf.nullable |= f.nullable & here
            mf.tagged |= f.tagged & here
            if f.tagged & here:
                if mf.tag is not None and mf.tag != f.tag:
                    raise SchemaError(f"field {f.name}: tag {f.tag} vs {mf.tag}")
                mf.tag = f.tag
            if f.flexible_override is not None:
                mf.flexible_override = (mf.flexible_override or set()) | (f.flexible_override & here)
            if mf.default is None:
                mf.default = f.default
            mf.ignorable = mf.ignorable or f.ignorable
            mf.zero_copy = mf.zero_copy or f.zero_copy
            mf.about = mf.about or f.about
            if f.fields is not None:
                mf._parts = getattr(mf, "_parts", []) + [(f.fields, owned)]
            prev = mf
    for mf in merged:
        parts_here = getattr(mf, "_parts", None)
        if parts_here:
            mf.fields = _merge_fields(parts_here)
            del mf._parts
    return merged


def merge_message(new, old):
    """Merges one message from the new release (or None) and the old release (or None)."""
    base = new or old
    m = MergedMessage(base.name, base.type, base.api_key)
    new_versions = set(new.versions) if new else set()
    old_versions = (set(old.versions) - new_versions) if old else set()
    m.versions = new_versions | old_versions
    if not m.versions:
        return None
    for v in new_versions:
        m.owners[v] = new.source
    for v in old_versions:
        m.owners[v] = old.source
    m.flexible = ((set(new.flexible) & new_versions) if new else set()) | (
        (set(old.flexible) & old_versions) if old else set())
    m.latest_unstable = bool(new and new.latest_unstable)
    m.removed_in_new = new is None
    m.listeners = list((new or old).listeners)
    if old and new and old.name != new.name:
        m.old_names.add(old.name)
    parts = []
    if new:
        parts.append((new.fields, new_versions))
    if old and old_versions:
        parts.append((old.fields, old_versions))
    m.fields = _merge_fields(parts)
    names = set(new.common_structs if new else {}) | set(old.common_structs if old else {})
    for name in names:
        cparts = []
        if new and name in new.common_structs:
            cparts.append((new.common_structs[name].fields, new_versions))
        if old and old_versions and name in old.common_structs:
            cparts.append((old.common_structs[name].fields, old_versions))
        m.common_structs[name] = _merge_fields(cparts)
    _prune(m.fields, m.versions)
    for fields in m.common_structs.values():
        _prune(fields, m.versions)
    return m


def _prune(fields, versions):
    """Cuts field version sets to the message's versions."""
    for f in fields:
        f.versions &= versions
        f.nullable &= versions
        f.tagged &= versions
        if f.flexible_override is not None:
            f.flexible_override &= versions
        if f.fields:
            _prune(f.fields, versions)


def merge_all(new_msgs, old_msgs):
    keys = list(new_msgs) + [k for k in old_msgs if k not in new_msgs]
    out = []
    for k in keys:
        m = merge_message(new_msgs.get(k), old_msgs.get(k))
        if m is not None:
            out.append(m)
    return out


def _layout(fields, version, flexible, commons):
    """The wire layout of `fields` at `version`: a nested tuple that two releases must agree on."""
    out = []
    for f in fields:
        if version not in f.versions:
            continue
        sub = None
        if f.is_struct:
            sub_fields = f.fields if f.fields is not None else commons.get(f.element_type, [])
            sub = _layout(sub_fields, version, flexible, commons)
        out.append((f.type if not f.is_struct else ("[]" if f.is_array else "") + "struct",
                    version in f.nullable, f.tag if version in f.tagged else None,
                    None if f.flexible_override is None else version in f.flexible_override, sub))
    return tuple(out)


def check_overlap(new_msgs, old_msgs):
    """Returns a list of (message, version) that both releases define with different layouts."""
    diffs = []
    for k, new in new_msgs.items():
        old = old_msgs.get(k)
        if not old:
            continue
        ncommon = {n: c.fields for n, c in new.common_structs.items()}
        ocommon = {n: c.fields for n, c in old.common_structs.items()}
        for v in sorted(set(new.versions) & set(old.versions)):
            if (v in new.flexible) != (v in old.flexible):
                diffs.append((new.name, v))
                continue
            if _layout(new.fields, v, v in new.flexible, ncommon) != _layout(
                    old.fields, v, v in old.flexible, ocommon):
                diffs.append((new.name, v))
    return diffs
