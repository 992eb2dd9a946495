// A file descriptor with the few operations the log needs, each retried on EINTR and short
// transfers, reporting errno as text. Shared (std::shared_ptr) by a segment and the reads in
// flight from it, so deleting a segment never pulls a file out from under a Fetch.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "base/result.h"

namespace brook::storage {

class file {
 public:
  // Opens (creating if asked) for reading and writing.
  static result<std::shared_ptr<file>, std::string> open(const std::filesystem::path& p,
                                                         bool create);
  ~file();
  file(const file&) = delete;
  file& operator=(const file&) = delete;

  int fd() const { return _fd; }
  const std::filesystem::path& path() const { return _path; }

  result<int64_t, std::string> size() const;
  // Reads up to out.size() bytes at `pos`; fewer only at the end of the file.
  result<size_t, std::string> read_at(int64_t pos, std::span<uint8_t> out) const;
  result<void, std::string> write_at(int64_t pos, std::span<const uint8_t> data);
  result<void, std::string> truncate(int64_t size);
  result<void, std::string> sync();
  // The modification time in ms since the epoch (Kafka's lastModified of a segment), and setting
  // it (the cleaner keeps the time of the segments it replaces).
  result<int64_t, std::string> modified_ms() const;
  result<void, std::string> set_modified_ms(int64_t ms);

 private:
  file(int fd, std::filesystem::path p) : _fd(fd), _path(std::move(p)) {}
  int _fd;
  std::filesystem::path _path;
};

// Writes `content` to `p` through a temporary file, fsync and rename, then syncs the folder: the
// file holds either its old or its new content after a crash.
result<void, std::string> write_file_atomic(const std::filesystem::path& p,
                                            std::string_view content);
// The whole file, or an error (missing files included).
result<std::string, std::string> read_small_file(const std::filesystem::path& p);
void sync_dir(const std::filesystem::path& dir);

}  // namespace brook::storage
