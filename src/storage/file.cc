#include "storage/file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace brook::storage {

namespace {
std::string errno_text(std::string_view what, const std::filesystem::path& p) {
  return fmt::format("{} {}: {}", what, p.string(), std::strerror(errno));
}
}  // namespace

result<std::shared_ptr<file>, std::string> file::open(const std::filesystem::path& p, bool create) {
  int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0);
  int fd = ::open(p.c_str(), flags, 0644);
  if (fd < 0) return failure{errno_text("cannot open", p)};
  return std::shared_ptr<file>(new file(fd, p));
}

file::~file() {
  if (_fd >= 0) ::close(_fd);
}

result<int64_t, std::string> file::size() const {
  struct stat st {};
  if (::fstat(_fd, &st) != 0) return failure{errno_text("cannot stat", _path)};
  return static_cast<int64_t>(st.st_size);
}

result<size_t, std::string> file::read_at(int64_t pos, std::span<uint8_t> out) const {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n =
        ::pread(_fd, out.data() + done, out.size() - done, pos + static_cast<int64_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return failure{errno_text("cannot read", _path)};
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

result<void, std::string> file::write_at(int64_t pos, std::span<const uint8_t> data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n =
        ::pwrite(_fd, data.data() + done, data.size() - done, pos + static_cast<int64_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return failure{errno_text("cannot write", _path)};
    }
    done += static_cast<size_t>(n);
  }
  return {};
}

result<void, std::string> file::truncate(int64_t size) {
  while (::ftruncate(_fd, size) != 0)
    if (errno != EINTR) return failure{errno_text("cannot truncate", _path)};
  return {};
}

result<void, std::string> file::sync() {
  while (::fdatasync(_fd) != 0)
    if (errno != EINTR) return failure{errno_text("cannot sync", _path)};
  return {};
}

result<int64_t, std::string> file::modified_ms() const {
  struct stat st {};
  if (::fstat(_fd, &st) != 0) return failure{errno_text("cannot stat", _path)};
  return int64_t(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000;
}

result<void, std::string> file::set_modified_ms(int64_t ms) {
  timespec times[2];
  times[0].tv_sec = 0;
  times[0].tv_nsec = UTIME_OMIT;
  times[1].tv_sec = ms / 1000;
  times[1].tv_nsec = (ms % 1000) * 1'000'000;
  if (::futimens(_fd, times) != 0) return failure{errno_text("cannot set the time of", _path)};
  return {};
}

void sync_dir(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

result<void, std::string> write_file_atomic(const std::filesystem::path& p,
                                            std::string_view content) {
  auto tmp = p;
  tmp += ".tmp";
  {
    auto f = file::open(tmp, true);
    if (!f) return failure{f.error()};
    if (auto r = (*f)->truncate(0); !r) return r;
    std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(content.data()),
                                   content.size());
    if (auto r = (*f)->write_at(0, bytes); !r) return r;
    if (auto r = (*f)->sync(); !r) return r;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, p, ec);
  if (ec) return failure{fmt::format("cannot rename {}: {}", tmp.string(), ec.message())};
  sync_dir(p.parent_path());
  return {};
}

result<std::string, std::string> read_small_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return failure{fmt::format("cannot read {}", p.string())};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace brook::storage
