// `brook consume`: prints records as kcat -C does: values one per line by default, a format
// string (--format, kcat's %-tokens) or one JSON object per line (--json). Reads chosen partitions
// from a starting offset (assign mode), or joins a group (--group) and subscribes. --count stops
// after N records, --exit stops at the end of each partition as it was when reading began.
#include <fmt/format.h>

#include <cstdio>
#include <map>
#include <string>

#include "cli/cli.h"
#include "client/consumer.h"
#include "client/errors.h"

namespace brook::cli {
namespace {

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20)
          out += fmt::format("\\u{:04x}", c);
        else
          out += ch;
    }
  }
  return out + "\"";
}

std::string_view bytes_view(const std::optional<wire::shared_bytes>& b) {
  if (!b) return {};
  return {reinterpret_cast<const char*>(b->data()), b->size()};
}

std::string to_json(const client::consumer_record& r) {
  std::string headers = "{";
  for (const auto& h : r.headers()) {
    if (headers.size() > 1) headers += ",";
    headers += json_string(h.key) + ":" +
               (h.value ? json_string(std::string_view(
                              reinterpret_cast<const char*>(h.value->data()), h.value->size()))
                        : "null");
  }
  headers += "}";
  return fmt::format(
      R"({{"topic":{},"partition":{},"offset":{},"timestamp":{},"key":{},"value":{},"headers":{}}})",
      json_string(r.topic()), r.partition(), r.offset(), r.timestamp(),
      r.key() ? json_string(r.key_view()) : "null",
      r.value() ? json_string(r.value_view()) : "null", headers);
}

// kcat's format tokens: %t topic, %p partition, %o offset, %T timestamp, %k key, %s value,
// %K key length, %S value length, %h headers (k=v,...), %% and the escapes \n \t.
std::string formatted(const std::string& f, const client::consumer_record& r) {
  std::string out;
  for (size_t i = 0; i < f.size(); ++i) {
    const char ch = f[i];
    if ((ch == '%' || ch == '\\') && i + 1 < f.size()) {
      const char t = f[++i];
      if (ch == '\\') {
        out += t == 'n' ? '\n' : t == 't' ? '\t' : t;
        continue;
      }
      switch (t) {
        case 't':
          out += r.topic();
          break;
        case 'p':
          out += std::to_string(r.partition());
          break;
        case 'o':
          out += std::to_string(r.offset());
          break;
        case 'T':
          out += std::to_string(r.timestamp());
          break;
        case 'k':
          out += r.key_view();
          break;
        case 's':
          out += r.value_view();
          break;
        case 'K':
          out += r.key() ? std::to_string(r.key()->size()) : "-1";
          break;
        case 'S':
          out += r.value() ? std::to_string(r.value()->size()) : "-1";
          break;
        case 'h': {
          bool first = true;
          for (const auto& h : r.headers()) {
            if (!first) out += ',';
            first = false;
            out += h.key + "=" + std::string(bytes_view(h.value));
          }
          break;
        }
        case '%':
          out += '%';
          break;
        default:
          out += '%';
          out += t;
      }
      continue;
    }
    out += ch;
  }
  return out;
}

}  // namespace

int consume_command(context& ctx) {
  ctx.share_settings_with_admin();
  const auto topics = ctx.all("topic");
  if (topics.empty()) throw usage_error("--topic is required");
  const std::optional<std::string> group = ctx.get("group");
  const int64_t limit = ctx.get_int("count").value_or(-1);
  const bool stop_at_end = ctx.has("exit");
  const std::string start = ctx.get("offset").value_or(group ? "stored" : "beginning");
  const std::optional<std::string> format = ctx.get("format");
  const auto timeout_ms = ctx.get_int("timeout-ms");

  client::config settings = ctx.settings();
  if (group) {
    settings.set("group.id", *group);
  } else {
    if (!settings.contains("enable.auto.commit")) settings.set("enable.auto.commit", "false");
  }
  if (start == "beginning" && !settings.contains("auto.offset.reset"))
    settings.set("auto.offset.reset", "earliest");
  if (auto isolation = ctx.get("isolation")) settings.set("isolation.level", *isolation);

  // The partitions and where each read ends (with --exit).
  std::map<client::topic_partition, int64_t> end_offsets;
  std::vector<client::topic_partition> assigned;
  if (!group || stop_at_end) {
    const auto wanted = ctx.all("partition");
    for (const auto& t : ctx.admin().describe_topics(topics))
      for (const auto& p : t.partitions) {
        if (!wanted.empty() &&
            std::find(wanted.begin(), wanted.end(), std::to_string(p.partition)) == wanted.end())
          continue;
        assigned.push_back({t.name, p.partition});
      }
    if (assigned.empty()) throw usage_error("no such partitions");
  }
  if (stop_at_end) {
    std::map<client::topic_partition, client::offset_spec> specs;
    for (const auto& tp : assigned) specs[tp] = client::offset_spec::latest();
    // read_committed reads up to the last stable offset: an open transaction ends it there.
    const bool read_committed = ctx.get("isolation").value_or("") == "read_committed";
    for (const auto& [tp, o] : ctx.admin().list_offsets(specs, read_committed))
      end_offsets[tp] = o.offset;
  }

  client::consumer c(settings);
  if (group) {
    if (!ctx.all("partition").empty()) throw usage_error("--partition does not go with --group");
    c.subscribe(topics);
  } else {
    c.assign(assigned);
    if (start == "beginning") {
      c.seek_to_beginning(assigned);
    } else if (start == "end") {
      c.seek_to_end(assigned);
    } else if (start != "stored") {
      int64_t n = 0;
      try {
        n = std::stoll(start);
      } catch (const std::exception&) {
        throw usage_error(fmt::format("--offset '{}' is not beginning, end or a number", start));
      }
      if (n >= 0) {
        for (const auto& tp : assigned) c.seek(tp, n);
      } else {
        // -N: the last N records of each partition.
        c.seek_to_end(assigned);
        for (const auto& tp : assigned) c.seek(tp, std::max<int64_t>(0, c.position(tp) + n));
      }
    }
  }

  auto done_with_end = [&] {
    if (!stop_at_end) return false;
    for (const auto& [tp, end] : end_offsets)
      if (c.position(tp) < end) return false;
    return true;
  };
  int64_t printed = 0;
  auto idle_since = std::chrono::steady_clock::now();
  while ((limit < 0 || printed < limit) && !done_with_end()) {
    auto records = c.poll(std::chrono::milliseconds(200));
    if (records.empty()) {
      if (timeout_ms &&
          std::chrono::steady_clock::now() - idle_since > std::chrono::milliseconds(*timeout_ms))
        break;
      continue;
    }
    idle_since = std::chrono::steady_clock::now();
    for (const auto& r : records) {
      if (limit >= 0 && printed >= limit) break;
      if (stop_at_end) {
        auto it = end_offsets.find(r.partition_of());
        if (it != end_offsets.end() && r.offset() >= it->second) continue;
      }
      if (ctx.json())
        fmt::print("{}\n", to_json(r));
      else if (format)
        fmt::print("{}", formatted(*format, r));
      else
        fmt::print("{}\n", r.value_view());
      ++printed;
    }
    std::fflush(stdout);
  }
  if (group) c.commit_sync();
  c.close();
  fmt::print(stderr, "consumed {} record{}\n", printed, printed == 1 ? "" : "s");
  return 0;
}

}  // namespace brook::cli
