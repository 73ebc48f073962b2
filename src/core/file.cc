#include "core/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace inr {

Result<ReadOnlyFile> ReadOnlyFile::open(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return error("{}: {}", path, std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return error("{}: is a directory, expected a file", path);
  // A FIFO or a device would block or never end: only regular files are read.
  if (!S_ISREG(st.st_mode)) return error("{}: not a regular file (a FIFO, socket or device)", path);
  // O_NONBLOCK: should the path have been swapped for a FIFO since the stat, open does not block on it
  // (and fstat below refuses it); for a regular file the flag changes nothing.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return error("{}: cannot open: {}", path, std::strerror(errno));
  ReadOnlyFile file(fd, 0);
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return error("{}: not a regular file", path);
  file.size_ = static_cast<int64_t>(st.st_size);
  return file;
}

ReadOnlyFile::~ReadOnlyFile() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::string> read_file(const std::string& path) {
  INR_ASSIGN_OR_RETURN(ReadOnlyFile file, ReadOnlyFile::open(path));
  std::string data(static_cast<size_t>(file.size()), '\0');
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::read(file.fd(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return error("{}: read failed: {}", path, std::strerror(errno));
    if (n == 0) break;  // the file shrank since fstat
    done += static_cast<size_t>(n);
  }
  data.resize(done);
  return data;
}

AtomicFile::AtomicFile(std::string path, std::string temp_path, int fd)
    : path_(std::move(path)), temp_path_(std::move(temp_path)), fd_(fd) {}

AtomicFile::AtomicFile(AtomicFile&& o) noexcept
    : path_(std::move(o.path_)), temp_path_(std::move(o.temp_path_)), fd_(o.fd_), committed_(o.committed_) {
  o.fd_ = -1;
  o.committed_ = true;
}

namespace {

// The destination a rename replaces: a symlink's target (so it is written through), else the path itself.
Result<std::string> resolve_destination(const std::string& requested) {
  struct stat st {};
  if (::lstat(requested.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    char* real = ::realpath(requested.c_str(), nullptr);
    if (real == nullptr) return error("{}: a symlink whose target cannot be resolved: {}", requested, std::strerror(errno));
    std::string path = real;
    std::free(real);
    return path;
  }
  return requested;
}

// A path that exists but is not a regular file (a device such as /dev/null, a FIFO, a folder) is refused
// rather than turned into a regular file.
Status check_replaceable(const std::string& path, const std::string& requested) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    return error("{}: exists and is not a regular file (a folder, device or FIFO); refusing to replace it", requested);
  return Status::ok();
}

}  // namespace

Status check_output_path(const std::string& requested) {
  if (requested.empty()) return Status::ok();
  INR_ASSIGN_OR_RETURN(std::string path, resolve_destination(requested));
  INR_TRY(check_replaceable(path, requested));
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return error("{}: cannot create output: folder '{}' does not exist", requested, dir);
  return Status::ok();
}

Result<AtomicFile> AtomicFile::open(const std::string& requested) {
  // The temp file is renamed over the destination, which replaces whatever is there: so a symlink is
  // written through (its target is the destination), and a path that exists but is not a regular file
  // is refused.
  INR_ASSIGN_OR_RETURN(std::string path, resolve_destination(requested));
  INR_TRY(check_replaceable(path, requested));
  std::string temp = path + ".tmp.XXXXXX";
  std::vector<char> buf(temp.begin(), temp.end());
  buf.push_back('\0');
  int fd = ::mkstemp(buf.data());
  if (fd < 0) return error("{}: cannot create output: {}", path, std::strerror(errno));
  ::fchmod(fd, 0644);
  return AtomicFile(path, std::string(buf.data()), fd);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !temp_path_.empty()) ::unlink(temp_path_.c_str());
}

Status AtomicFile::write(std::string_view bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return error("{}: write failed: {}", path_, std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  return Status::ok();
}

Status AtomicFile::commit() {
  if (::close(fd_) != 0) {
    fd_ = -1;
    return error("{}: close failed: {}", path_, std::strerror(errno));
  }
  fd_ = -1;
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0)
    return error("{}: rename failed: {}", path_, std::strerror(errno));
  committed_ = true;
  return Status::ok();
}

Status write_file_atomic(const std::string& path, std::string_view contents) {
  INR_ASSIGN_OR_RETURN(AtomicFile f, AtomicFile::open(path));
  INR_TRY(f.write(contents));
  return f.commit();
}

}  // namespace inr
