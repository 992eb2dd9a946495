// result<T, E>: a value or an error, for failures a caller is expected to handle (a missing file, a
// full disk, an unknown topic). Exceptions stay for decode boundaries and programmer errors; this
// is the rest. A small stand-in for C++23's std::expected, which C++20 lacks.
#pragma once

#include <type_traits>
#include <utility>
#include <variant>

#include "base/assert.h"

namespace brook {

// Wraps an error so that result<T, E> can be built from it even when T and E are the same type.
template <class E>
struct failure {
  E error;
};
template <class E>
failure(E) -> failure<E>;

template <class T, class E>
class [[nodiscard]] result {
 public:
  result(T value) : _v(std::in_place_index<0>, std::move(value)) {}
  template <class F>
  requires std::is_convertible_v<F, E> result(failure<F> f)
      : _v(std::in_place_index<1>, E(std::move(f.error))) {}

  bool has_value() const { return _v.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    BROOK_ASSERT(has_value(), "result holds an error");
    return std::get<0>(_v);
  }
  const T& value() const& {
    BROOK_ASSERT(has_value(), "result holds an error");
    return std::get<0>(_v);
  }
  T&& value() && {
    BROOK_ASSERT(has_value(), "result holds an error");
    return std::get<0>(std::move(_v));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const E& error() const {
    BROOK_ASSERT(!has_value(), "result holds a value");
    return std::get<1>(_v);
  }

 private:
  std::variant<T, E> _v;
};

// A result with no value: success or an error.
template <class E>
class [[nodiscard]] result<void, E> {
 public:
  result() = default;
  template <class F>
  requires std::is_convertible_v<F, E> result(failure<F> f)
      : _error(E(std::move(f.error))), _failed(true) {}

  bool has_value() const { return !_failed; }
  explicit operator bool() const { return has_value(); }
  const E& error() const {
    BROOK_ASSERT(_failed, "result holds no error");
    return _error;
  }

 private:
  E _error{};
  bool _failed = false;
};

}  // namespace brook
