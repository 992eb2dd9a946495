// Big-endian loads and stores at fixed positions, for reading and patching batch and message
// headers in place. Callers check the bounds first; wire::reader is for reading a stream.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace brook::protocol::records {

namespace detail {
template <class U>
U byteswap(U v) {
  if constexpr (sizeof(U) == 1) return v;
  if constexpr (sizeof(U) == 2) return static_cast<U>(__builtin_bswap16(v));
  if constexpr (sizeof(U) == 4) return static_cast<U>(__builtin_bswap32(v));
  if constexpr (sizeof(U) == 8) return static_cast<U>(__builtin_bswap64(v));
}
}  // namespace detail

template <class T>
T load_be(const uint8_t* p) {
  static_assert(std::is_integral_v<T>);
  std::make_unsigned_t<T> v;
  std::memcpy(&v, p, sizeof(T));
  if constexpr (sizeof(T) > 1 && std::endian::native == std::endian::little)
    v = detail::byteswap(v);
  return static_cast<T>(v);
}

template <class T>
void store_be(uint8_t* p, T value) {
  static_assert(std::is_integral_v<T>);
  auto v = static_cast<std::make_unsigned_t<T>>(value);
  if constexpr (sizeof(T) > 1 && std::endian::native == std::endian::little)
    v = detail::byteswap(v);
  std::memcpy(p, &v, sizeof(T));
}

}  // namespace brook::protocol::records
