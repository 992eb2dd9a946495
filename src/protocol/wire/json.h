// A minimal JSON writer for rendering decoded messages in logs and tools. Output only: Brook never
// parses JSON on the data path.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace brook::wire {

class json_writer {
 public:
  void begin_object() {
    separate();
    _out += '{';
    _first = true;
  }
  void end_object() {
    _out += '}';
    _first = false;
  }
  void begin_array() {
    separate();
    _out += '[';
    _first = true;
  }
  void end_array() {
    _out += ']';
    _first = false;
  }
  void key(std::string_view k) {
    separate();
    write_escaped(k);
    _out += ':';
    _first = true;  // the value that follows takes no comma
  }
  void value(int64_t v);
  void value(uint64_t v);
  void value(int32_t v) { value(static_cast<int64_t>(v)); }
  void value(int16_t v) { value(static_cast<int64_t>(v)); }
  void value(int8_t v) { value(static_cast<int64_t>(v)); }
  void value(uint16_t v) { value(static_cast<uint64_t>(v)); }
  void value(uint32_t v) { value(static_cast<uint64_t>(v)); }
  void value(bool v) {
    separate();
    _out += v ? "true" : "false";
  }
  void value(double v);
  void value(std::string_view v) {
    separate();
    write_escaped(v);
  }
  // Byte strings render as standard base64, as Kafka's own JSON converters do.
  void bytes(std::span<const uint8_t> b);
  void null() {
    separate();
    _out += "null";
  }

  const std::string& str() const { return _out; }
  std::string take() { return std::move(_out); }

 private:
  void separate() {
    if (!_first) _out += ',';
    _first = false;
  }
  void write_escaped(std::string_view s);

  std::string _out;
  bool _first = true;
};

}  // namespace brook::wire
