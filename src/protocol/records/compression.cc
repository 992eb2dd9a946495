#include "protocol/records/compression.h"

#include <fmt/format.h>
#include <lz4frame.h>
#include <snappy-sinksource.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <memory>

#include "protocol/records/checksum.h"

namespace brook::protocol::records {

codec codec_from_id(int id) {
  if (id < 0 || id > 4) throw wire::decode_error(fmt::format("unknown compression codec {}", id));
  return static_cast<codec>(id);
}

const char* codec_name(codec c) {
  switch (c) {
    case codec::none:
      return "none";
    case codec::gzip:
      return "gzip";
    case codec::snappy:
      return "snappy";
    case codec::lz4:
      return "lz4";
    case codec::zstd:
      return "zstd";
  }
  return "unknown";
}

namespace {

[[noreturn]] void corrupt(codec c, std::string_view why) {
  throw wire::decode_error(fmt::format("corrupt {} data: {}", codec_name(c), why));
}

// The decompressor's output buffer: grows as bytes are produced, never past max_output + 1 bytes.
// The one byte of slack tells "ended exactly at the limit" from "wants to write more".
class bounded_output {
 public:
  bounded_output(size_t max_output, size_t input_size)
      : _max(max_output), _capacity_limit(max_output == SIZE_MAX ? SIZE_MAX : max_output + 1) {
    // Compressed input says how much output is at least plausible; a declared size would not.
    _first_step = std::clamp<size_t>(input_size * 4, 4096, size_t{1} << 20);
  }

  size_t size() const { return _len; }
  size_t room_left() const { return _max - _len; }

  // Free space after the produced bytes: at least one byte unless the limit has been reached.
  std::span<uint8_t> window() {
    if (_len == _buf.size()) grow(1);
    return {_buf.data() + _len, _buf.size() - _len};
  }

  // Exactly n bytes of free space; throws when they would cross the limit.
  uint8_t* reserve(size_t n) {
    if (n > room_left()) limit_exceeded();
    if (_buf.size() - _len < n) grow(n);
    return _buf.data() + _len;
  }

  void commit(size_t n) {
    _len += n;
    if (_len > _max) limit_exceeded();
  }

  void ensure_room(size_t n) const {
    if (n > room_left()) limit_exceeded();
  }

  void append(const void* data, size_t n) {
    if (n == 0) return;
    std::memcpy(reserve(n), data, n);
    _len += n;
  }

  wire::byte_buffer take() {
    _buf.resize(_len);
    return std::move(_buf);
  }

 private:
  void grow(size_t at_least) {
    size_t want = std::max({_len + at_least, _buf.size() * 2, _first_step});
    want = std::min(want, _capacity_limit);
    if (want < _len + at_least) limit_exceeded();
    _buf.resize(want);
  }

  [[noreturn]] void limit_exceeded() const {
    throw decompression_limit_error(
        fmt::format("decompressed data exceeds the limit of {} bytes", _max));
  }

  wire::byte_buffer _buf;
  size_t _len = 0;
  size_t _max;
  size_t _capacity_limit;
  size_t _first_step;
};

// ---- gzip ----------------------------------------------------------------------------------

// zlib counts in uInt; larger inputs are fed in pieces.
constexpr size_t k_zlib_step = size_t{1} << 30;

void gzip_compress(std::span<const uint8_t> in, wire::byte_buffer& out, int level) {
  z_stream zs{};
  if (level == k_default_compression_level) level = Z_DEFAULT_COMPRESSION;
  // 16 + window bits selects the gzip wrapper.
  if (deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw wire::encode_error(fmt::format("gzip: bad compression level {}", level));
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, deflateEnd);
  size_t start = out.size();
  size_t pos = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    size_t chunk = std::min(in.size() - pos, k_zlib_step);
    zs.next_in = const_cast<Bytef*>(in.data() + pos);
    zs.avail_in = static_cast<uInt>(chunk);
    bool last = pos + chunk == in.size();
    // deflateBound is an upper bound for one call's output given its input.
    size_t used = start + zs.total_out;
    out.resize(used + deflateBound(&zs, static_cast<uLong>(chunk)) + 64);
    zs.next_out = out.data() + used;
    zs.avail_out = static_cast<uInt>(std::min(out.size() - used, k_zlib_step));
    rc = deflate(&zs, last ? Z_FINISH : Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
      throw wire::encode_error(fmt::format("gzip: deflate failed ({})", rc));
    pos += chunk - zs.avail_in;
  }
  out.resize(start + zs.total_out);
}

void gzip_decompress(std::span<const uint8_t> in, bounded_output& out) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw std::bad_alloc();
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, inflateEnd);
  const uint8_t* src = in.data();
  size_t left = in.size();
  for (;;) {
    if (zs.avail_in == 0 && left > 0) {
      size_t chunk = std::min(left, k_zlib_step);
      zs.next_in = const_cast<Bytef*>(src);
      zs.avail_in = static_cast<uInt>(chunk);
      src += chunk;
      left -= chunk;
    }
    auto w = out.window();
    size_t room = std::min(w.size(), k_zlib_step);
    zs.next_out = w.data();
    zs.avail_out = static_cast<uInt>(room);
    int rc = inflate(&zs, Z_NO_FLUSH);
    out.commit(room - zs.avail_out);
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0 && left > 0) {
        size_t chunk = std::min(left, k_zlib_step);
        zs.next_in = const_cast<Bytef*>(src);
        zs.avail_in = static_cast<uInt>(chunk);
        src += chunk;
        left -= chunk;
      }
      size_t rest = zs.avail_in + left;
      if (rest == 0) return;
      // Another gzip member may follow (RFC 1952 allows concatenation).
      if (zs.avail_in >= 2 && zs.next_in[0] == 0x1f && zs.next_in[1] == 0x8b) {
        inflateReset(&zs);
        continue;
      }
      corrupt(codec::gzip, fmt::format("{} trailing bytes after the stream", rest));
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0 && left == 0) corrupt(codec::gzip, "truncated");
    if (rc != Z_OK && rc != Z_BUF_ERROR) corrupt(codec::gzip, zs.msg ? zs.msg : "inflate failed");
  }
}

// ---- snappy --------------------------------------------------------------------------------

constexpr std::array<uint8_t, 8> k_xerial_magic = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr size_t k_xerial_header_size = 16;
constexpr int32_t k_xerial_version = 1;
constexpr int32_t k_xerial_compatible_version = 1;
// snappy-java's default block size; the Java client reads any size.
constexpr size_t k_xerial_block = 32 * 1024;

void put_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

uint32_t get_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

void snappy_compress(std::span<const uint8_t> in, wire::byte_buffer& out) {
  size_t pos = out.size();
  size_t blocks = (in.size() + k_xerial_block - 1) / k_xerial_block;
  out.resize(pos + k_xerial_header_size +
             blocks * (4 + snappy::MaxCompressedLength(k_xerial_block)));
  std::memcpy(out.data() + pos, k_xerial_magic.data(), k_xerial_magic.size());
  put_be32(out.data() + pos + 8, k_xerial_version);
  put_be32(out.data() + pos + 12, k_xerial_compatible_version);
  pos += k_xerial_header_size;
  for (size_t i = 0; i < in.size(); i += k_xerial_block) {
    size_t n = std::min(k_xerial_block, in.size() - i);
    size_t written = 0;
    snappy::RawCompress(reinterpret_cast<const char*>(in.data() + i), n,
                        reinterpret_cast<char*>(out.data() + pos + 4), &written);
    put_be32(out.data() + pos, static_cast<uint32_t>(written));
    pos += 4 + written;
  }
  out.resize(pos);
}

// Decompresses into the bounded output. Small blocks go straight into it; for large ones snappy
// falls back to its block-by-block writer, which allocates only as output is actually produced,
// so a declared length never turns into an allocation of that size.
class bounded_sink : public snappy::Sink {
 public:
  explicit bounded_sink(bounded_output& out) : _out(out) {}

  void Append(const char* bytes, size_t n) override {
    if (bytes == _flat && _flat != nullptr) {
      _flat = nullptr;
      _out.commit(n);
      return;
    }
    _out.append(bytes, n);
  }

  char* GetAppendBufferVariable(size_t min_size, size_t desired_size_hint, char* scratch,
                                size_t scratch_size, size_t* allocated_size) override {
    if (desired_size_hint <= k_flat_limit && desired_size_hint <= _out.room_left()) {
      _flat = reinterpret_cast<char*>(_out.reserve(desired_size_hint));
      *allocated_size = desired_size_hint;
      return _flat;
    }
    *allocated_size = scratch_size;
    return scratch;
  }

 private:
  static constexpr size_t k_flat_limit = 64 * 1024;
  bounded_output& _out;
  char* _flat = nullptr;
};

void snappy_raw_decompress(std::span<const uint8_t> in, bounded_output& out) {
  size_t declared = 0;
  if (!snappy::GetUncompressedLength(reinterpret_cast<const char*>(in.data()), in.size(),
                                     &declared))
    corrupt(codec::snappy, "bad block length");
  // A declaration beyond the limit fails now; one within it is still not trusted for allocation.
  out.ensure_room(declared);
  size_t before = out.size();
  snappy::ByteArraySource source(reinterpret_cast<const char*>(in.data()), in.size());
  bounded_sink sink(out);
  if (!snappy::Uncompress(&source, &sink) || out.size() - before != declared)
    corrupt(codec::snappy, "invalid block");
}

void snappy_decompress(std::span<const uint8_t> in, bounded_output& out) {
  auto is_magic = [&](size_t at) {
    return in.size() - at >= k_xerial_magic.size() &&
           std::memcmp(in.data() + at, k_xerial_magic.data(), k_xerial_magic.size()) == 0;
  };
  if (!is_magic(0)) return snappy_raw_decompress(in, out);
  size_t pos = 0;
  while (pos < in.size()) {
    // snappy-java starts a new header where streams were concatenated.
    if (is_magic(pos)) {
      if (in.size() - pos < k_xerial_header_size) corrupt(codec::snappy, "truncated header");
      if (static_cast<int32_t>(get_be32(in.data() + pos + 12)) > k_xerial_version)
        corrupt(codec::snappy, "unsupported xerial stream version");
      pos += k_xerial_header_size;
      continue;
    }
    if (in.size() - pos < 4) corrupt(codec::snappy, "truncated block length");
    int32_t len = static_cast<int32_t>(get_be32(in.data() + pos));
    pos += 4;
    if (len < 0) corrupt(codec::snappy, fmt::format("negative block length {}", len));
    if (static_cast<size_t>(len) > in.size() - pos)
      corrupt(codec::snappy, fmt::format("block of {} bytes, {} remain", len, in.size() - pos));
    snappy_raw_decompress(in.subspan(pos, static_cast<size_t>(len)), out);
    pos += static_cast<size_t>(len);
  }
}

// ---- lz4 -----------------------------------------------------------------------------------

constexpr uint32_t k_lz4_magic = 0x184d2204;

struct lz4_dctx_deleter {
  void operator()(LZ4F_dctx* d) const { LZ4F_freeDecompressionContext(d); }
};

// The checksum byte of the frame descriptor: the second byte of XXH32 over `covered`.
uint8_t lz4_header_checksum(std::span<const uint8_t> covered) {
  return static_cast<uint8_t>((xxh32(covered) >> 8) & 0xff);
}

void lz4_compress(std::span<const uint8_t> in, wire::byte_buffer& out, int level, bool legacy) {
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  prefs.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
  prefs.compressionLevel = level == k_default_compression_level ? 0 : level;
  size_t start = out.size();
  size_t bound = LZ4F_compressFrameBound(in.size(), &prefs);
  out.resize(start + bound);
  size_t n = LZ4F_compressFrame(out.data() + start, bound, in.data(), in.size(), &prefs);
  if (LZ4F_isError(n)) throw wire::encode_error(fmt::format("lz4: {}", LZ4F_getErrorName(n)));
  out.resize(start + n);
  if (legacy) {
    // Magic (4) + FLG + BD, then the checksum byte; no content size or dictionary id is written.
    out[start + 6] = lz4_header_checksum({out.data() + start, 6});
  }
}

void lz4_decompress(std::span<const uint8_t> in, bounded_output& out, bool legacy) {
  LZ4F_dctx* raw = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&raw, LZ4F_VERSION))) throw std::bad_alloc();
  std::unique_ptr<LZ4F_dctx, lz4_dctx_deleter> ctx(raw);

  // For magic 0 the checksum byte is rewritten to the correct value in a copy of the header, so
  // liblz4 accepts it; the rest of the frame is fed from the input itself.
  std::array<uint8_t, LZ4F_HEADER_SIZE_MAX> header{};
  std::span<const uint8_t> first, rest = in;
  if (legacy) {
    if (in.size() < 7) corrupt(codec::lz4, "truncated frame header");
    uint32_t magic = uint32_t{in[0]} | (uint32_t{in[1]} << 8) | (uint32_t{in[2]} << 16) |
                     (uint32_t{in[3]} << 24);
    if (magic != k_lz4_magic) corrupt(codec::lz4, "bad frame magic");
    uint8_t flg = in[4];
    size_t descriptor = 2 + ((flg & 0x08) ? 8 : 0) + ((flg & 0x01) ? 4 : 0);
    size_t header_size = 4 + descriptor + 1;
    if (in.size() < header_size) corrupt(codec::lz4, "truncated frame header");
    std::memcpy(header.data(), in.data(), header_size);
    header[header_size - 1] = lz4_header_checksum({header.data() + 4, descriptor});
    first = {header.data(), header_size};
    rest = in.subspan(header_size);
  }

  bool finished = false;
  auto feed = [&](std::span<const uint8_t> part) {
    const uint8_t* src = part.data();
    size_t left = part.size();
    for (;;) {
      auto w = out.window();
      size_t produced = w.size(), consumed = left;
      size_t hint = LZ4F_decompress(ctx.get(), w.data(), &produced, src, &consumed, nullptr);
      if (LZ4F_isError(hint)) corrupt(codec::lz4, LZ4F_getErrorName(hint));
      out.commit(produced);
      src += consumed;
      left -= consumed;
      if (hint == 0) {
        finished = true;
        if (left != 0) corrupt(codec::lz4, fmt::format("{} trailing bytes after the frame", left));
        return;
      }
      if (produced == 0 && consumed == 0) {
        if (left == 0) return;  // needs the next part
        corrupt(codec::lz4, "decoder made no progress");
      }
    }
  };
  if (!first.empty()) feed(first);
  if (!finished) feed(rest);
  if (!finished) corrupt(codec::lz4, "truncated frame");
}

// ---- zstd ----------------------------------------------------------------------------------

// zstd's own default cap on the window a frame may ask for (1 << 27 = 128 MiB).
constexpr int k_zstd_window_log_default = 27;
// Standard levels (up to 19) use windows of at most 8 MiB.
constexpr int k_zstd_window_log_floor = 23;

struct zstd_dstream_deleter {
  void operator()(ZSTD_DStream* d) const { ZSTD_freeDStream(d); }
};

void zstd_compress(std::span<const uint8_t> in, wire::byte_buffer& out, int level) {
  if (level == k_default_compression_level) level = ZSTD_CLEVEL_DEFAULT;
  size_t start = out.size();
  size_t bound = ZSTD_compressBound(in.size());
  out.resize(start + bound);
  size_t n = ZSTD_compress(out.data() + start, bound, in.data(), in.size(), level);
  if (ZSTD_isError(n)) throw wire::encode_error(fmt::format("zstd: {}", ZSTD_getErrorName(n)));
  out.resize(start + n);
}

void zstd_decompress(std::span<const uint8_t> in, size_t max_output, bounded_output& out) {
  std::unique_ptr<ZSTD_DStream, zstd_dstream_deleter> ds(ZSTD_createDStream());
  if (!ds) throw std::bad_alloc();
  // The window a frame asks for is reserved up front. A window larger than the whole allowed
  // output is never needed, but frames from standard levels may ask for up to 8 MiB regardless of
  // their size, so that much is always allowed.
  int window_log = std::clamp(static_cast<int>(std::bit_width(max_output - (max_output > 0))),
                              k_zstd_window_log_floor, k_zstd_window_log_default);
  ZSTD_DCtx_setParameter(ds.get(), ZSTD_d_windowLogMax, window_log);
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  for (;;) {
    auto w = out.window();
    ZSTD_outBuffer dst{w.data(), w.size(), 0};
    size_t rc = ZSTD_decompressStream(ds.get(), &dst, &src);
    if (ZSTD_isError(rc)) corrupt(codec::zstd, ZSTD_getErrorName(rc));
    out.commit(dst.pos);
    if (rc == 0 && src.pos == src.size) return;  // a frame ended with the input
    if (src.pos == src.size && dst.pos < dst.size) corrupt(codec::zstd, "truncated frame");
  }
}

}  // namespace

void compress_append(codec c, std::span<const uint8_t> data, wire::byte_buffer& out,
                     const compress_options& options) {
  switch (c) {
    case codec::none:
      out.insert(out.end(), data.begin(), data.end());
      return;
    case codec::gzip:
      return gzip_compress(data, out, options.level);
    case codec::snappy:
      return snappy_compress(data, out);
    case codec::lz4:
      return lz4_compress(data, out, options.level, options.legacy_lz4_checksum);
    case codec::zstd:
      return zstd_compress(data, out, options.level);
  }
  throw wire::encode_error(fmt::format("unknown codec {}", static_cast<int>(c)));
}

wire::byte_buffer compress(codec c, std::span<const uint8_t> data,
                           const compress_options& options) {
  wire::byte_buffer out;
  compress_append(c, data, out, options);
  return out;
}

wire::byte_buffer decompress(codec c, std::span<const uint8_t> data, size_t max_output,
                             const decompress_options& options) {
  bounded_output out(max_output, data.size());
  switch (c) {
    case codec::none:
      out.append(data.data(), data.size());
      break;
    case codec::gzip:
      gzip_decompress(data, out);
      break;
    case codec::snappy:
      snappy_decompress(data, out);
      break;
    case codec::lz4:
      lz4_decompress(data, out, options.legacy_lz4_checksum);
      break;
    case codec::zstd:
      zstd_decompress(data, max_output, out);
      break;
    default:
      throw wire::decode_error(fmt::format("unknown codec {}", static_cast<int>(c)));
  }
  return out.take();
}

}  // namespace brook::protocol::records
