"""Tests of the generator: version ranges, naming, merging two releases, emission, drift check."""

import json
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import emit_cpp  # noqa: E402
import generate  # noqa: E402
import merge  # noqa: E402
import schema  # noqa: E402

SPECS = os.environ.get("BROOK_KAFKA_SPECS",
                       os.path.join(HERE, "..", "..", "..", "..", "shared", "kafka-message-specs"))


def write_schemas(folder, docs):
    os.makedirs(folder, exist_ok=True)
    for name, doc in docs.items():
        with open(os.path.join(folder, name + ".json"), "w") as f:
            f.write("// a comment line, as Kafka's files have\n" + json.dumps(doc))


def produce_like(valid, flexible, fields):
    return {"apiKey": 0, "type": "request", "name": "FooRequest", "validVersions": valid,
            "flexibleVersions": flexible, "fields": fields}


class VersionTests(unittest.TestCase):
    def test_parse_versions(self):
        self.assertEqual(schema.parse_versions("none", 10), frozenset())
        self.assertEqual(schema.parse_versions("3+", 5), frozenset({3, 4, 5}))
        self.assertEqual(schema.parse_versions("1-3", 10), frozenset({1, 2, 3}))
        self.assertEqual(schema.parse_versions("7", 10), frozenset({7}))

    def test_version_cond(self):
        allv = list(range(0, 14))
        self.assertEqual(emit_cpp.version_cond(set(allv), allv), "true")
        self.assertEqual(emit_cpp.version_cond(set(), allv), "false")
        self.assertEqual(emit_cpp.version_cond({9, 10, 11, 12, 13}, allv), "version_ >= 9")
        self.assertEqual(emit_cpp.version_cond({0, 1, 2}, allv), "version_ <= 2")
        self.assertEqual(emit_cpp.version_cond({4}, allv), "version_ == 4")
        self.assertEqual(emit_cpp.version_cond({1, 2, 5}, allv),
                         "((version_ >= 1 && version_ <= 2) || version_ == 5)")

    def test_snake(self):
        self.assertEqual(emit_cpp.snake("ProduceRequest"), "produce_request")
        self.assertEqual(emit_cpp.snake("TopicID"), "topic_id")
        self.assertEqual(emit_cpp.snake("KRaftVersionFeature"), "kraft_version_feature")


class MergeTests(unittest.TestCase):
    def load_pair(self, new_doc, old_doc):
        with tempfile.TemporaryDirectory() as d:
            write_schemas(os.path.join(d, "new"), {"FooRequest": new_doc})
            write_schemas(os.path.join(d, "old"), {"FooRequest": old_doc})
            return schema.load_dir(os.path.join(d, "new")), schema.load_dir(os.path.join(d, "old"))

    def test_old_versions_come_from_the_old_release(self):
        new = produce_like("3-5", "4+", [
            {"name": "A", "type": "int32", "versions": "0+"},
            {"name": "C", "type": "string", "versions": "5+"}])
        old = produce_like("0-4", "4+", [
            {"name": "A", "type": "int32", "versions": "0+"},
            {"name": "B", "type": "int16", "versions": "0-1"}])
        n, o = self.load_pair(new, old)
        [m] = merge.merge_all(n, o)
        self.assertEqual(m.versions, {0, 1, 2, 3, 4, 5})
        self.assertEqual([f.name for f in m.fields], ["A", "B", "C"])
        self.assertEqual(m.fields[1].versions, {0, 1})
        self.assertEqual(m.fields[2].versions, {5})
        self.assertEqual(m.owners[0], "old")
        self.assertEqual(m.owners[3], "new")
        self.assertEqual(merge.check_overlap(n, o), [])

    def test_overlap_difference_is_reported(self):
        new = produce_like("0-1", "none", [{"name": "A", "type": "int32", "versions": "0+"}])
        old = produce_like("0-1", "none", [{"name": "A", "type": "int64", "versions": "0+"}])
        n, o = self.load_pair(new, old)
        self.assertEqual(merge.check_overlap(n, o), [("FooRequest", 0), ("FooRequest", 1)])

    def test_string_tags_are_numbers(self):
        new = produce_like("0-1", "0+", [{"name": "A", "type": "int32", "versions": "0+",
                                          "taggedVersions": "0+", "tag": "3"}])
        n, o = self.load_pair(new, new)
        self.assertEqual(n[("request", 0)].fields[0].tag, 3)


class EmitTests(unittest.TestCase):
    def test_struct_has_defaults_and_version_checks(self):
        doc = produce_like("0-2", "2+", [
            {"name": "Acks", "type": "int16", "versions": "0+", "default": "-1"},
            {"name": "Name", "type": "string", "versions": "1+", "nullableVersions": "1+",
             "default": "null"},
            {"name": "Max", "type": "int32", "versions": "0+", "default": "0x7fffffff"},
            {"name": "Tagged", "type": "int64", "versions": "2+", "taggedVersions": "2+",
             "tag": 0, "default": "-1"}])
        with tempfile.TemporaryDirectory() as d:
            write_schemas(d, {"FooRequest": doc})
            msgs = schema.load_dir(d)
        [m] = merge.merge_all(msgs, {})
        h, c = emit_cpp.emit_message(m)
        self.assertIn("int16_t acks{-1};", h)
        self.assertIn("std::optional<std::string> name{std::nullopt};", h)
        self.assertIn("int32_t max{2147483647};", h)
        self.assertIn("first_flexible_version = 2;", h)
        self.assertIn("if (version_ >= 1) {", c)
        self.assertIn("tag == 0", c)

    def test_field_named_like_its_type_gets_a_distinct_type_name(self):
        doc = produce_like("0", "0+", [
            {"name": "Assignment", "type": "Assignment", "versions": "0+", "fields": [
                {"name": "X", "type": "int8", "versions": "0+"}]}])
        with tempfile.TemporaryDirectory() as d:
            write_schemas(d, {"FooRequest": doc})
            msgs = schema.load_dir(d)
        [m] = merge.merge_all(msgs, {})
        h, _ = emit_cpp.emit_message(m)
        self.assertIn("assignment_type assignment{};", h)

    def test_bad_default_is_an_error(self):
        doc = produce_like("0", "none", [
            {"name": "A", "type": "int8", "versions": "0+", "default": "300"}])
        with tempfile.TemporaryDirectory() as d:
            write_schemas(d, {"FooRequest": doc})
            msgs = schema.load_dir(d)
        [m] = merge.merge_all(msgs, {})
        with self.assertRaises(schema.SchemaError):
            emit_cpp.emit_message(m)


@unittest.skipUnless(os.path.isdir(os.path.join(SPECS, "4.5-trunk")), "Kafka schemas not present")
class RealSchemaTests(unittest.TestCase):
    def test_releases_agree_except_known_differences(self):
        new = schema.load_dir(os.path.join(SPECS, "4.5-trunk"))
        old = schema.load_dir(os.path.join(SPECS, "3.9.2"))
        # BrokerHeartbeat v1: 3.9 wrote tag "0" as a string (same wire format; the model keeps a
        # new tagged field of v2 out of v1 but compares v1 the same); ReadShareGroupStateSummary
        # v0 gained LeaderEpoch after 3.9 (early access).
        diffs = {name for name, _ in merge.check_overlap(new, old)}
        self.assertTrue(diffs <= {"ReadShareGroupStateSummaryResponse", "BrokerHeartbeatRequest"},
                        diffs)

    def test_union_of_versions(self):
        files, tests, _ = generate.generate(os.path.join(SPECS, "4.5-trunk"),
                                            os.path.join(SPECS, "3.9.2"))
        self.assertIn("produce_request.h", files)
        self.assertIn("leader_and_isr_request.h", files)  # removed in 4.0, still served
        self.assertIn("static constexpr int16_t min_version = 0;", files["produce_request.h"])
        self.assertIn("static constexpr int16_t max_version = 13;", files["produce_request.h"])
        self.assertIn('{74, "ListConfigResources", 0, 1, 0', files["api_keys.cc"])

    def test_drift_check(self):
        with tempfile.TemporaryDirectory() as d:
            args = ["--new", os.path.join(SPECS, "4.5-trunk"), "--old", os.path.join(SPECS, "3.9.2"),
                    "--out", os.path.join(d, "out"), "--tests-out", os.path.join(d, "tests")]
            self.assertEqual(generate.main(args), 0)
            self.assertEqual(generate.main(args + ["--check"]), 0)
            with open(os.path.join(d, "out", "produce_request.h"), "a") as f:
                f.write("// edited by hand\n")
            self.assertEqual(generate.main(args + ["--check"]), 1)


if __name__ == "__main__":
    unittest.main()
