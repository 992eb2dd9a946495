// The four codecs Kafka uses for record data, in the framings Kafka clients write and read:
//
//   gzip    a gzip stream (RFC 1952); concatenated members are accepted on input.
//   snappy  output: the xerial framing that the Java client's snappy-java writes:
//             8-byte magic 0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00, int32 version (1),
//             int32 compatible version (1), then blocks of int32 length + one raw snappy chunk
//             (each chunk covers at most 32 KiB of input). All integers big-endian.
//           input: that framing when the magic is present (concatenated streams too), otherwise
//             one raw snappy block, which some non-Java clients write.
//   lz4     the LZ4 frame format with independent 64 KiB blocks and no content checksum or size,
//             as the Java client writes it. Kafka's magic-0 writer computed the frame-descriptor
//             checksum over the magic number as well (KAFKA-3160); `legacy_lz4_checksum` writes
//             that header, and on input makes the checksum byte be ignored, as Kafka does for
//             magic 0.
//   zstd    zstd frames; concatenated frames are accepted on input.
//
// Decompression never trusts a size declared in the input. The output grows step by step as
// bytes are actually produced, and decompression stops with decompression_limit_error as soon as
// it would exceed `max_output`. The zstd window the input may demand is capped at
// max(max_output, 8 MiB) rounded up to a power of two, so a tiny frame cannot make the decoder
// reserve 128 MiB. Malformed input throws wire::decode_error; trailing bytes after the last
// complete gzip member, LZ4 frame or zstd frame count as malformed.
#pragma once

#include <climits>
#include <cstdint>
#include <span>

#include "protocol/records/types.h"

namespace brook::protocol::records {

// Selects the codec's own default level: gzip 6, lz4 fast (non-HC), zstd 3; snappy has none.
inline constexpr int k_default_compression_level = INT_MIN;

struct compress_options {
  int level = k_default_compression_level;
  // LZ4 only: write the frame-descriptor checksum the way magic-0 writers did (KAFKA-3160).
  bool legacy_lz4_checksum = false;
};

struct decompress_options {
  // LZ4 only: ignore the frame-descriptor checksum, which magic-0 writers computed wrongly.
  bool legacy_lz4_checksum = false;
};

wire::byte_buffer compress(codec c, std::span<const uint8_t> data,
                           const compress_options& options = {});
// Appends the compressed form of `data` to `out`, so a batch can be built around it without a
// copy.
void compress_append(codec c, std::span<const uint8_t> data, wire::byte_buffer& out,
                     const compress_options& options = {});

wire::byte_buffer decompress(codec c, std::span<const uint8_t> data, size_t max_output,
                             const decompress_options& options = {});

}  // namespace brook::protocol::records
