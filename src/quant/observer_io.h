// Files of calibration observers, for distributed calibration: each shard of `inr quantize --calib-shard
// K/N --save-observers F` writes the observers of its images, and `inr quantize --observers F...` merges
// them (Observer::merge, exact: observer.h) and builds the model from them.
//
// Layout (little-endian; version 1):
//   "INROBS1\n"                        magic and format version
//   u64 n, n bytes                     header: the writer's provenance (drivers: JSON), opaque here
//   u64 tensors
//   per tensor, in observation order:
//     u32 n, n bytes                   tensor name
//     f32 lo, f32 hi, u64 count, u64 skipped                  MinMax
//     u8 histogram (0/1), u32 bins, i32 exponent, u8 bound set, f64 total, bins x f64 counts
//   64 bytes                           sha256 (hex) of everything before it
// The reader checks the magic, every length against the bytes left, the digest (so a truncated or
// damaged file is one error, never garbage statistics), and that each histogram is well formed: bins a
// power of two, counts whole, non-negative and summing to the total.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "inr/status.h"
#include "quant/observer.h"

namespace inr::quant {

struct ObserverFile {
  std::string header;
  std::vector<std::string> tensors;  // in the order they were written
  std::map<std::string, Observer> observers;
};

// `tensors` names the entries of `observers` to write, in that order (each must be there).
std::string encode_observers(std::string_view header, const std::vector<std::string>& tensors,
                             const std::map<std::string, Observer>& observers);
// `what` (the file name) prefixes every error.
Result<ObserverFile> decode_observers(std::string_view bytes, const std::string& what);

}  // namespace inr::quant
