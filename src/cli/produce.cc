// `brook produce`: records from standard input (one per line, as kcat -P) or from --value, with
// keys split off by a delimiter, headers, a fixed partition and any producer setting. Every record
// is confirmed before the tool exits; the first failure ends it with Kafka's error.
#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "cli/cli.h"
#include "client/errors.h"
#include "client/producer.h"

namespace brook::cli {

int produce_command(context& ctx) {
  const std::string topic = ctx.need("topic");
  client::config settings = ctx.settings();
  if (auto acks = ctx.get("acks")) settings.set("acks", *acks);
  if (auto codec = ctx.get("compression")) settings.set("compression.type", *codec);
  std::optional<int32_t> partition;
  if (auto p = ctx.get_int("partition")) partition = static_cast<int32_t>(*p);
  const std::optional<std::string> key_delimiter = ctx.get("key-delimiter");
  if (key_delimiter && key_delimiter->empty()) throw usage_error("--key-delimiter is empty");
  std::vector<client::header> headers;
  for (const auto& h : ctx.all("header")) {
    auto [k, v] = split_key_value(h, "--header");
    headers.push_back({k, v});
  }
  const std::optional<std::string> fixed_key = ctx.get("key");

  client::producer producer(settings);
  std::vector<std::future<client::record_metadata>> pending;
  int64_t count = 0;
  auto send = [&](std::string line) {
    client::producer_record r{.topic = topic, .partition = partition, .headers = headers};
    if (key_delimiter) {
      const auto at = line.find(*key_delimiter);
      if (at == std::string::npos)
        throw usage_error(
            fmt::format("line {} has no key delimiter '{}'", count + 1, *key_delimiter));
      r.key = line.substr(0, at);
      r.value = line.substr(at + key_delimiter->size());
    } else {
      r.key = fixed_key;
      r.value = std::move(line);
    }
    pending.push_back(producer.send(std::move(r)));
    ++count;
    // Keep memory bounded on long inputs: settle the oldest confirmations now and then.
    if (pending.size() >= 10000) {
      for (auto& f : pending) f.get();
      pending.clear();
    }
  };

  const auto values = ctx.all("value");
  if (!values.empty()) {
    for (const auto& v : values) send(v);
  } else {
    std::ifstream file;
    std::istream* in = &std::cin;
    if (auto path = ctx.get("file")) {
      file.open(*path);
      if (!file) throw usage_error(fmt::format("cannot read {}", *path));
      in = &file;
    }
    std::string line;
    while (std::getline(*in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      send(std::move(line));
    }
  }
  producer.flush();
  client::record_metadata last;
  for (auto& f : pending) last = f.get();
  report(ctx, fmt::format("produced {} record{} to {}", count, count == 1 ? "" : "s", topic),
         {{"topic", topic}, {"records", count}});
  return 0;
}

}  // namespace brook::cli
