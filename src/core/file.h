// File helpers. Every output of inr is written through `write_file_atomic`: a temp file in the same
// directory, then rename(2), so a crash or an error never leaves a partial file behind.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "inr/status.h"

namespace inr {

// A regular file opened for reading (FIFOs, sockets, devices and folders are refused with one line, before
// open(2) could block on them). Closed on destruction.
class ReadOnlyFile {
 public:
  static Result<ReadOnlyFile> open(const std::string& path);
  ReadOnlyFile(ReadOnlyFile&& o) noexcept : fd_(o.fd_), size_(o.size_) { o.fd_ = -1; }
  ReadOnlyFile& operator=(ReadOnlyFile&&) = delete;
  ~ReadOnlyFile();
  int fd() const { return fd_; }
  int64_t size() const { return size_; }

 private:
  ReadOnlyFile(int fd, int64_t size) : fd_(fd), size_(size) {}
  int fd_ = -1;
  int64_t size_ = 0;
};

Result<std::string> read_file(const std::string& path);
Status write_file_atomic(const std::string& path, std::string_view contents);

// What AtomicFile::open would refuse, checked before a long run instead of after it printed its results:
// a destination (through a symlink) that exists and is not a regular file, or whose folder does not exist.
// Creates nothing. "" is fine (no output asked for).
Status check_output_path(const std::string& path);

// Writes with a callback that fills a temp file; renames only when it returns OK.
class AtomicFile {
 public:
  // A symlink is written through to its target; a path that exists and is not a regular file is an error.
  static Result<AtomicFile> open(const std::string& path);
  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  ~AtomicFile();  // removes the temp file unless committed
  Status write(std::string_view bytes);
  Status commit();  // flush, fsync-free close, rename
  const std::string& temp_path() const { return temp_path_; }

 private:
  AtomicFile(std::string path, std::string temp_path, int fd);
  std::string path_, temp_path_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace inr
