// The pieces every `brook` subcommand shares: its parsed command line (options, values,
// positional words), the client settings built from the common options (-b, -X,
// --command-config, BROOK_BOOTSTRAP), a lazily built Admin client, and output as aligned text
// tables or JSON (--json).
//
// Adding a subcommand: write `int NAME_command(context&)` in a file of src/cli/, declare it below
// and add one line to the command table in main.cc (name, summary, help text, function, options).
//
// Errors: a wrong command line throws usage_error (exit 2); the client's kafka_error and
// config_error end in main.cc with one line on stderr (exit 1). Single-threaded: one context per
// run of the tool.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "client/admin.h"
#include "client/config.h"

namespace brook::cli {

// A command line that cannot be run; main prints it with a hint to --help and exits 2.
class usage_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One option a command accepts: "--long" (and "-s"), with a value or a flag. An option with an
// optional value takes the next word only when that word is not an option itself.
struct option_spec {
  std::string_view name;
  char short_name = 0;
  bool takes_value = true;
  bool value_optional = false;
};

// The parsed command line of one run.
class context {
 public:
  // Parses argv after the command name; `spec` lists the command's own options (the common ones
  // are always known). Throws usage_error for an unknown option or a missing value.
  context(std::vector<std::string> args, const std::vector<option_spec>& spec);

  // The words that are not options (the subcommand first, when the command has them).
  const std::vector<std::string>& positional() const { return _positional; }
  // The subcommand (first positional word), or "" when there is none.
  std::string subcommand() const { return _positional.empty() ? "" : _positional.front(); }
  bool has(std::string_view name) const;
  // Every value of a repeatable option, in order.
  std::vector<std::string> all(std::string_view name) const;
  // The last value of an option, if given.
  std::optional<std::string> get(std::string_view name) const;
  // The value, or usage_error naming the option.
  std::string need(std::string_view name) const;
  // An integer option; usage_error when it does not parse.
  std::optional<int64_t> get_int(std::string_view name) const;

  bool json() const { return has("json"); }
  bool help() const { return has("help"); }

  // Client settings: bootstrap.servers from -b, else BROOK_BOOTSTRAP, else 127.0.0.1:9092; then
  // --command-config's properties; then each -X key=value.
  client::config settings() const;
  // The Admin client, built on first use from settings().
  client::admin& admin();
  // For commands that also build a producer or consumer from settings(): the admin client then
  // leaves out their settings instead of refusing them.
  void share_settings_with_admin() { _shared_settings = true; }

 private:
  std::map<std::string, std::vector<std::string>, std::less<>> _options;
  std::vector<std::string> _positional;
  std::unique_ptr<client::admin> _admin;
  bool _shared_settings = false;
};

// A cell of a table: empty (JSON null), text, a number, a flag, a list of numbers or a real
// number (quotas).
using cell = std::variant<std::monostate, std::string, int64_t, bool, std::vector<int32_t>, double>;

// Rows under named columns. Text: a header of the names in upper case ('_' as ' ') and the
// cells aligned in columns, two spaces apart. JSON: an array of objects keyed by column name.
class table {
 public:
  explicit table(std::vector<std::string> columns) : _columns(std::move(columns)) {}
  void add(std::vector<cell> row) { _rows.push_back(std::move(row)); }
  size_t size() const { return _rows.size(); }
  void print(std::ostream& out, bool json) const;
  // The JSON text of the rows (an array).
  std::string to_json() const;

 private:
  std::vector<std::string> _columns;
  std::vector<std::vector<cell>> _rows;
};

// Prints `text` (a sentence for people) or, with --json, the JSON object of `fields`.
void report(context& ctx, const std::string& text,
            const std::vector<std::pair<std::string, cell>>& fields);

// "k=v" split at the first '='; usage_error naming `what` when there is none.
std::pair<std::string, std::string> split_key_value(const std::string& text, std::string_view what);
// "1,2,3" as numbers; usage_error when one does not parse.
std::vector<int32_t> parse_int_list(const std::string& text, std::string_view what);

// The subcommands (each in its own file).
int produce_command(context& ctx);
int consume_command(context& ctx);
int bench_command(context& ctx);
int topics_command(context& ctx);
int configs_command(context& ctx);
int groups_command(context& ctx);
int acls_command(context& ctx);
int users_command(context& ctx);
int cluster_command(context& ctx);
int quotas_command(context& ctx);
int transactions_command(context& ctx);
int log_dirs_command(context& ctx);
int features_command(context& ctx);
int partitions_command(context& ctx);

}  // namespace brook::cli
