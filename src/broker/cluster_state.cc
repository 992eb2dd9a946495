#include "broker/cluster_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "security/base64.h"

namespace brook::broker {

namespace fs = std::filesystem;

namespace {

std::string escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '%' || c == '\n' || c == '\r')
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    else
      out += c;
  }
  return out;
}

// A group id as one token: '%', the space and control characters encoded too.
std::string escape_token(const std::string& v) {
  std::string out;
  for (char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '%' || u <= 0x20 || u == 0x7f)
      out += fmt::format("%{:02X}", u);
    else
      out += c;
  }
  return out;
}

// The inverse of both escapes; a '%' without two hex digits after it is kept as it is.
std::string unescape(const std::string& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    unsigned byte = 0;
    if (v[i] == '%' && i + 3 <= v.size() &&
        std::from_chars(v.data() + i + 1, v.data() + i + 3, byte, 16).ptr == v.data() + i + 3) {
      out += static_cast<char>(byte);
      i += 2;
    } else {
      out += v[i];
    }
  }
  return out;
}

// Bytes as one token: standard base64, or "-" for none (base64 of nothing is no token at all).
std::string bytes_token(const std::string& bytes) {
  return bytes.empty() ? "-" : security::base64_encode(bytes);
}
std::optional<std::string> token_bytes(const std::string& token) {
  if (token == "-") return std::string();
  return security::base64_decode(token);
}

fs::path topics_file(const fs::path& log_dir) { return log_dir / "__brook_cluster" / "topics"; }

bool fsync_path(const fs::path& p, int flags) {
  int fd = ::open(p.c_str(), flags);
  if (fd < 0) return false;
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

std::shared_ptr<const cluster_snapshot> cluster_snapshot::with(const topic_info& t,
                                                               bool remove) const {
  auto next = std::make_shared<cluster_snapshot>(*this);
  if (auto it = next->by_name.find(t.name); it != next->by_name.end()) {
    next->by_id.erase(it->second->id);
    next->by_name.erase(it);
  }
  if (!remove) {
    auto p = std::make_shared<const topic_info>(t);
    next->by_name[t.name] = p;
    next->by_id[t.id] = p;
  }
  return next;
}

std::shared_ptr<const cluster_snapshot> cluster_snapshot::with_group_configs(
    const std::string& group, std::map<std::string, std::string> configs) const {
  auto next = std::make_shared<cluster_snapshot>(*this);
  if (configs.empty())
    next->group_configs.erase(group);
  else
    next->group_configs[group] = std::move(configs);
  return next;
}

const std::map<std::string, std::string>& cluster_snapshot::group_configs_of(
    const std::string& group) const {
  static const std::map<std::string, std::string> none;
  auto it = group_configs.find(group);
  return it == group_configs.end() ? none : it->second;
}

std::span<const feature_spec> supported_features() {
  static constexpr feature_spec k_features[] = {
      {"group.version", 0, 1, 1},
      {"transaction.version", 0, 2, 2},
  };
  return k_features;
}

int16_t cluster_snapshot::feature_level(std::string_view name) const {
  if (auto it = features.find(std::string(name)); it != features.end()) return it->second;
  for (const auto& f : supported_features())
    if (name == f.name) return f.initial_level;
  return 0;
}

std::shared_ptr<const cluster_snapshot> cluster_snapshot::with_features(
    const std::map<std::string, int16_t>& levels) const {
  auto next = std::make_shared<cluster_snapshot>(*this);
  for (const auto& [name, level] : levels) next->features[name] = level;
  ++next->features_epoch;
  return next;
}

const security::scram_credential* cluster_snapshot::scram_credential_of(
    std::string_view user, security::scram_mechanism m) const {
  auto it = scram.find(user);
  if (it == scram.end()) return nullptr;
  auto c = it->second.find(m);
  return c == it->second.end() ? nullptr : &c->second;
}

std::shared_ptr<const cluster_snapshot> cluster_snapshot::with_scram(
    scram_credentials credentials) const {
  auto next = std::make_shared<cluster_snapshot>(*this);
  std::erase_if(credentials, [](const auto& user) { return user.second.empty(); });
  next->scram = std::move(credentials);
  return next;
}

std::shared_ptr<const cluster_snapshot> cluster_snapshot::with_acls(
    security::acl_set next_acls) const {
  auto next = std::make_shared<cluster_snapshot>(*this);
  next->acls = std::move(next_acls);
  return next;
}

std::shared_ptr<const cluster_snapshot> cluster_snapshot::with_client_quotas(
    client_quota_map quotas) const {
  auto next = std::make_shared<cluster_snapshot>(*this);
  next->client_quotas = std::move(quotas);
  return next;
}

result<std::shared_ptr<const cluster_snapshot>, std::string> load_cluster(const fs::path& log_dir) {
  auto snapshot = std::make_shared<cluster_snapshot>();
  const fs::path file = topics_file(log_dir);
  std::ifstream in(file);
  if (!in) return std::shared_ptr<const cluster_snapshot>(snapshot);
  std::map<std::string, topic_info> topics;
  std::string line;
  int n = 0;
  auto bad = [&](const std::string& why) {
    return failure{fmt::format("{}:{}: {}", file.string(), n, why)};
  };
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    std::istringstream ls(line);
    std::string kind;
    ls >> kind;
    if (n == 1) {
      int version = 0;
      ls >> version;
      if (kind != "brook-topics" || version != 1)
        return bad("not a Brook topics file of version 1");
      continue;
    }
    if (kind == "topic") {
      topic_info t;
      std::string id;
      ls >> t.name >> id >> t.partitions;
      auto u = wire::uuid::parse(id);
      if (!ls || !u || t.partitions <= 0) return bad("bad topic line");
      t.id = *u;
      t.is_internal = t.name.starts_with("__");
      topics[t.name] = std::move(t);
    } else if (kind == "config") {
      std::string topic, key;
      ls >> topic >> key;
      std::string value;
      if (ls.peek() == ' ') ls.get();
      std::getline(ls, value);
      auto it = topics.find(topic);
      if (it == topics.end() || key.empty()) return bad("config for an unknown topic");
      it->second.configs[key] = unescape(value);
    } else if (kind == "groupconfig") {
      std::string group, key;
      ls >> group >> key;
      std::string value;
      if (ls.peek() == ' ') ls.get();
      std::getline(ls, value);
      if (group.empty() || key.empty()) return bad("bad groupconfig line");
      snapshot->group_configs[unescape(group)][key] = unescape(value);
    } else if (kind == "feature") {
      std::string name;
      int level = -1;
      ls >> name >> level;
      if (!ls || name.empty() || level < 0 || level > std::numeric_limits<int16_t>::max())
        return bad("bad feature line");
      snapshot->features[name] = static_cast<int16_t>(level);
    } else if (kind == "featuresepoch") {
      int64_t epoch = -1;
      ls >> epoch;
      if (!ls || epoch < 1) return bad("bad featuresepoch line");
      snapshot->features_epoch = epoch;
    } else if (kind == "scram") {
      std::string user, mechanism, salt, stored, server;
      security::scram_credential c;
      ls >> user >> mechanism >> c.iterations >> salt >> stored >> server;
      auto m = security::parse_scram_mechanism(mechanism);
      auto salt_bytes = token_bytes(salt);
      auto stored_bytes = token_bytes(stored);
      auto server_bytes = token_bytes(server);
      if (!ls || !m || !salt_bytes || !stored_bytes || !server_bytes) return bad("bad scram line");
      c.mechanism = *m;
      c.salt = std::move(*salt_bytes);
      c.stored_key = std::move(*stored_bytes);
      c.server_key = std::move(*server_bytes);
      snapshot->scram[unescape(user)][*m] = std::move(c);
    } else if (kind == "acl") {
      std::string type, pattern, op, perm, name, principal, host;
      ls >> type >> pattern >> op >> perm >> name >> principal >> host;
      auto t = security::parse_resource_type(type);
      auto p = security::parse_pattern_type(pattern);
      auto o = security::parse_operation(op);
      auto a = security::parse_permission(perm);
      if (!ls || !t || !p || !o || !a) return bad("bad acl line");
      security::acl_binding b{*t, unescape(name), *p, unescape(principal), unescape(host), *o, *a};
      if (auto why = security::validate_new_acl(b)) return bad("bad acl line: " + *why);
      snapshot->acls.add(b);
    } else if (kind == "quota") {
      // strtod, unlike operator>>, reads back "inf", which fmt writes for an infinite quota.
      std::string key, number;
      ls >> key >> number;
      char* end = nullptr;
      const double value = std::strtod(number.c_str(), &end);
      if (!ls || key.empty() || number.empty() || *end != '\0') return bad("bad quota line");
      quota_entity entity;
      std::string part;
      while (ls >> part) {
        const auto eq = part.find('=');
        if (eq == std::string::npos)
          entity[part] = std::nullopt;
        else
          entity[part.substr(0, eq)] = unescape(part.substr(eq + 1));
      }
      if (entity.empty()) return bad("quota line without an entity");
      snapshot->client_quotas[std::move(entity)][key] = value;
    } else {
      return bad("unknown record '" + kind + "'");
    }
  }
  for (auto& [name, t] : topics) {
    auto p = std::make_shared<const topic_info>(std::move(t));
    snapshot->by_name[name] = p;
    snapshot->by_id[p->id] = p;
  }
  return std::shared_ptr<const cluster_snapshot>(snapshot);
}

result<void, std::string> save_cluster(const fs::path& log_dir, const cluster_snapshot& snapshot) {
  const fs::path file = topics_file(log_dir);
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  if (ec)
    return failure{fmt::format("cannot create {}: {}", file.parent_path().string(), ec.message())};
  std::string text = "brook-topics 1\n";
  for (const auto& [name, t] : snapshot.by_name) {
    text += fmt::format("topic {} {} {}\n", name, t->id.to_string(), t->partitions);
    for (const auto& [k, v] : t->configs)
      text += fmt::format("config {} {} {}\n", name, k, escape(v));
  }
  for (const auto& [group, configs] : snapshot.group_configs)
    for (const auto& [k, v] : configs)
      text += fmt::format("groupconfig {} {} {}\n", escape_token(group), k, escape(v));
  for (const auto& [name, level] : snapshot.features)
    text += fmt::format("feature {} {}\n", name, level);
  if (snapshot.features_epoch != 1)
    text += fmt::format("featuresepoch {}\n", snapshot.features_epoch);
  for (const auto& [user, mechanisms] : snapshot.scram)
    for (const auto& [m, c] : mechanisms)
      text += fmt::format("scram {} {} {} {} {} {}\n", escape_token(user),
                          security::mechanism_name(m), c.iterations, bytes_token(c.salt),
                          bytes_token(c.stored_key), bytes_token(c.server_key));
  for (const auto& b : snapshot.acls.all())
    text += fmt::format("acl {} {} {} {} {} {} {}\n", security::name_of(b.type),
                        security::name_of(b.pattern), security::name_of(b.operation),
                        security::name_of(b.permission), escape_token(b.name),
                        escape_token(b.principal), escape_token(b.host));
  for (const auto& [entity, values] : snapshot.client_quotas) {
    std::string parts;
    for (const auto& [type, name] : entity)
      parts += name ? fmt::format(" {}={}", type, escape_token(*name)) : " " + type;
    for (const auto& [k, v] : values) text += fmt::format("quota {} {}{}\n", k, v, parts);
  }
  const fs::path tmp = file.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return failure{fmt::format("cannot write {}: {}", tmp.string(), std::strerror(errno))};
  size_t done = 0;
  while (done < text.size()) {
    ssize_t w = ::write(fd, text.data() + done, text.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return failure{fmt::format("cannot write {}: {}", tmp.string(), std::strerror(e))};
    }
    done += static_cast<size_t>(w);
  }
  bool synced = ::fdatasync(fd) == 0;
  ::close(fd);
  if (!synced) return failure{fmt::format("cannot sync {}", tmp.string())};
  fs::rename(tmp, file, ec);
  if (ec) return failure{fmt::format("cannot rename {}: {}", tmp.string(), ec.message())};
  fsync_path(file.parent_path(), O_RDONLY | O_DIRECTORY);
  return {};
}

bool valid_topic_name(std::string_view name) {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

}  // namespace brook::broker
