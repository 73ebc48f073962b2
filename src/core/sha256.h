// SHA-256 (FIPS 180-4), used by `inr fetch` to verify downloads and mirror files. Hand-written (about
// 100 lines) rather than pulling in OpenSSL for one hash.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "inr/status.h"

namespace inr {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  std::string hex_digest();  // finalises

 private:
  void block(const uint8_t* p);
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

Result<std::string> sha256_file(const std::string& path);

}  // namespace inr
