#include "protocol/wire/writer.h"

#include <fmt/format.h>

#include <algorithm>

namespace brook::wire {

void writer::grow(size_t n) {
  _buf.resize(std::max(_len + n, std::max<size_t>(64, _buf.size() * 2)));
}

void writer::write_string(std::string_view s, bool compact) {
  if (compact) {
    if (s.size() >= 0x7fffffff) throw encode_error("string too long for a compact string");
    write_uvarint(static_cast<uint32_t>(s.size() + 1));
  } else {
    if (s.size() > 0x7fff)
      throw encode_error(fmt::format("string of {} bytes exceeds the int16 length", s.size()));
    write_int16(static_cast<int16_t>(s.size()));
  }
  write_raw({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
}

void writer::write_nullable_string(const std::optional<std::string>& s, bool compact) {
  if (!s) {
    if (compact) {
      write_uvarint(0);
    } else {
      write_int16(-1);
    }
    return;
  }
  write_string(*s, compact);
}

void writer::write_bytes(std::span<const uint8_t> b, bool compact) {
  if (b.size() >= 0x7fffffff) throw encode_error("bytes value too long");
  if (compact) {
    write_uvarint(static_cast<uint32_t>(b.size() + 1));
  } else {
    write_int32(static_cast<int32_t>(b.size()));
  }
  write_raw(b);
}

void writer::write_nullable_bytes(const std::optional<std::vector<uint8_t>>& b, bool compact) {
  if (!b) {
    if (compact) {
      write_uvarint(0);
    } else {
      write_int32(-1);
    }
    return;
  }
  write_bytes(*b, compact);
}

void writer::write_nullable_bytes(const std::optional<shared_bytes>& b, bool compact) {
  if (!b) {
    if (compact) {
      write_uvarint(0);
    } else {
      write_int32(-1);
    }
    return;
  }
  write_bytes(b->span(), compact);
}

void writer::write_records(const shared_bytes& b, bool compact) {
  const file_range* f = b.in_file();
  if (!f) return write_bytes(b.span(), compact);
  if (f->size >= 0x7fffffff) throw encode_error("records value too long");
  if (compact) {
    write_uvarint(static_cast<uint32_t>(f->size + 1));
  } else {
    write_int32(static_cast<int32_t>(f->size));
  }
  if (f->size > 0) _splices.push_back({_len, *f, b.owner()});
}

void writer::write_unknown_tags(const unknown_tagged_fields& tags) {
  for (const auto& t : tags) {
    write_uvarint(t.tag);
    write_uvarint(static_cast<uint32_t>(t.data.size()));
    write_raw(t.data);
  }
}

size_t unknown_tags_size(const unknown_tagged_fields& tags) {
  size_t n = 0;
  for (const auto& t : tags) n += uvarint_size(t.tag) + uvarint_size(t.data.size()) + t.data.size();
  return n;
}

}  // namespace brook::wire
