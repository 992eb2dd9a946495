"""Emits GoogleTest round-trip tests for every message and version.

For each version a sample is built with a non-default value in every field the version has (and a
second sample with every field that may be null set to null); each must encode to exactly its
computed size, decode back equal, re-encode to the same bytes, keep unknown tagged fields, and
reject every truncation of its encoding with a decode_error.
"""

from emit_cpp import GENERATED_BANNER, INT_TYPES, Ctx, _ordered_structs, snake


def _fill_lines(ctx, fields, target, ind):
    out = []
    for f in fields:
        if not f.versions:
            continue
        m = f"{target}.{snake(f.name)}"
        present = ctx.cond(f.versions)
        nullable = ctx.cond(f.nullable) if ctx.is_optional(f) else "false"
        out.append(f"{ind}if ({present}) {{")
        i2 = ind + "  "
        if nullable != "false":
            out.append(f"{i2}if (nulls && ({nullable})) {{")
            out.append(f"{i2}  {m} = std::nullopt;")
            out.append(f"{i2}}} else {{")
            i2 += "  "
        val_target = f"{m}.emplace()" if ctx.is_optional(f) else m
        if ctx.is_optional(f) and not f.is_array and _is_struct(f):
            # clang 14 decides std::optional<Nested>::emplace() is not viable when the nested
            # struct has default member initializers; emplacing a value avoids the question.
            val_target = f"{m}.emplace(std::remove_cvref_t<decltype(*{m})>{{}})"
        if f.is_array:
            out.append(f"{i2}auto& a = {val_target};")
            out.append(f"{i2}a.clear();")
            out.append(f"{i2}for (int i = 0; i < 2; ++i) {{")
            out += _elem_lines(ctx, f, "a.emplace_back()", i2 + "  ", is_array=True)
            out.append(f"{i2}}}")
        else:
            out += _elem_lines(ctx, f, val_target, i2, is_array=False, dflt=ctx.default_expr(f))
        if nullable != "false":
            out.append(f"{ind}  }}")
        out.append(f"{ind}}}")
    return out


def _is_struct(f):
    t = f.element_type
    return not (t in INT_TYPES or t in ("bool", "float64", "uuid", "string", "bytes", "records"))


def _elem_lines(ctx, f, target, ind, is_array, dflt=None):
    t = f.element_type
    if t in INT_TYPES:
        ct = INT_TYPES[t][0]
        d = f"{ct}({ctx.init(f) or '0'})" if not is_array else f"{ct}(0)"
        return [f"{ind}{target} = pick<{ct}>(seed, {d});"]
    if t == "bool":
        return [f"{ind}{target} = !({ctx.init(f) or 'false'});"] if not is_array else [
            f"{ind}{target} = true;"]
    if t == "float64":
        return [f"{ind}{target} = 0.5 + seed++;"]
    if t == "uuid":
        return [f"{ind}{target} = wire::uuid::from_halves(seed, seed + 1); ++seed;"]
    if t == "string":
        return [f"{ind}{target} = \"s\" + std::to_string(seed++);"]
    if t == "bytes" and not f.zero_copy:
        return [f"{ind}{target} = std::vector<uint8_t>{{1, 2, static_cast<uint8_t>(seed++)}};"]
    if t in ("bytes", "records"):
        return [f"{ind}{target} = wire::shared_bytes(std::vector<uint8_t>{{7, 8, static_cast<uint8_t>(seed++)}});"]
    return [f"{ind}fill({target}, version_, seed, nulls);"]


def emit_test_file(messages):
    """One test source covering `messages`."""
    out = [GENERATED_BANNER, '#include "protocol/tests/round_trip.h"', "",
           "using namespace brook;", "using namespace brook::protocol;", "",
           "namespace {", ""]
    for msg in messages:
        ctx = Ctx(msg)
        structs = _ordered_structs(ctx)
        for type_name, fields in structs:
            q = f"{ctx.struct_name}::{ctx.type_names[type_name]}"
            out.append(f"[[maybe_unused]] void fill({q}& x, int16_t version_, int& seed, bool nulls);")
        for type_name, fields in structs:
            q = f"{ctx.struct_name}::{ctx.type_names[type_name]}"
            out.append(f"void fill({q}& x, int16_t version_, int& seed, bool nulls) {{")
            out += _fill_lines(ctx, fields, "x", "  ")
            out.append("}")
            out.append("")
        out.append(f"{ctx.struct_name} sample_{ctx.struct_name}(int16_t version_, bool nulls) {{")
        out.append("  int seed = 1;")
        out.append(f"  {ctx.struct_name} x;")
        out += _fill_lines(ctx, msg.fields, "x", "  ")
        out.append("  return x;")
        out.append("}")
        out.append("")
    out.append("}  // namespace")
    out.append("")
    for msg in messages:
        n = snake(msg.name)
        out.append(f"TEST(round_trip, {n}) {{")
        out.append(f"  for (int16_t v = {n}::min_version; v <= {n}::max_version; ++v) {{")
        out.append(f"    check_round_trip(sample_{n}(v, false), v);")
        out.append(f"    check_round_trip(sample_{n}(v, true), v);")
        out.append("  }")
        out.append("}")
        out.append("")
    return "\n".join(out)


def emit_tests(messages, files=8):
    ordered = sorted(messages, key=lambda m: snake(m.name))
    per = (len(ordered) + files - 1) // files
    return {f"round_trip_{i}_test.cc": emit_test_file(ordered[i * per:(i + 1) * per])
            for i in range(files) if ordered[i * per:(i + 1) * per]}
