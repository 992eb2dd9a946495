#include "storage/txn_index.h"

#include <algorithm>

#include "protocol/records/byte_order.h"

namespace brook::storage {

namespace {
namespace rec = protocol::records;
constexpr int16_t k_txn_index_version = 0;
}  // namespace

std::array<uint8_t, k_txn_index_entry_size> encode_txn_index_entry(const aborted_txn& t) {
  std::array<uint8_t, k_txn_index_entry_size> b{};
  rec::store_be<int16_t>(b.data(), k_txn_index_version);
  rec::store_be<int64_t>(b.data() + 2, t.producer_id);
  rec::store_be<int64_t>(b.data() + 10, t.first_offset);
  rec::store_be<int64_t>(b.data() + 18, t.last_offset);
  rec::store_be<int64_t>(b.data() + 26, t.last_stable_offset);
  return b;
}

std::vector<aborted_txn> decode_txn_index(std::span<const uint8_t> bytes) {
  std::vector<aborted_txn> out;
  for (size_t p = 0; p + k_txn_index_entry_size <= bytes.size(); p += k_txn_index_entry_size) {
    const uint8_t* e = bytes.data() + p;
    if (rec::load_be<int16_t>(e) != k_txn_index_version) break;
    out.push_back({rec::load_be<int64_t>(e + 2), rec::load_be<int64_t>(e + 10),
                   rec::load_be<int64_t>(e + 18), rec::load_be<int64_t>(e + 26)});
  }
  return out;
}

std::string encode_txn_index(std::span<const aborted_txn> entries) {
  std::string out;
  out.reserve(entries.size() * k_txn_index_entry_size);
  for (const auto& t : entries) {
    const auto b = encode_txn_index_entry(t);
    out.append(reinterpret_cast<const char*>(b.data()), b.size());
  }
  return out;
}

bool collect_aborted(std::span<const aborted_txn> entries, int64_t fetch_offset,
                     int64_t upper_bound, std::vector<aborted_txn>& out) {
  for (const auto& t : entries) {
    if (t.last_offset >= fetch_offset && t.first_offset < upper_bound) out.push_back(t);
    if (t.last_stable_offset >= upper_bound) return true;
  }
  return false;
}

std::vector<aborted_txn> merge_txn_indexes(std::vector<aborted_txn> entries) {
  std::stable_sort(entries.begin(), entries.end(),
                   [](const auto& a, const auto& b) { return a.last_offset < b.last_offset; });
  entries.erase(std::unique(entries.begin(), entries.end()), entries.end());
  return entries;
}

}  // namespace brook::storage
