// Liveness-based memory planning: given buffers with sizes and [first_use, last_use] step intervals,
// assign offsets in one arena so that buffers alive at the same step never overlap.
// Greedy by size (largest first, lowest fitting offset), as in TFLite's ArenaPlanner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace inr {

struct BufferLifetime {
  size_t bytes = 0;
  int first_use = 0;  // step that writes it
  int last_use = 0;   // last step that reads it (inclusive)
};

struct ArenaPlan {
  std::vector<size_t> offsets;  // one per BufferLifetime, 64-byte aligned
  size_t total_bytes = 0;
};

ArenaPlan plan_arena(const std::vector<BufferLifetime>& buffers);

// A 64-byte aligned block, pre-faulted on creation so that the first run does not pay page faults.
class Arena {
 public:
  Arena() = default;
  explicit Arena(size_t bytes);
  uint8_t* data() { return data_.get(); }
  size_t bytes() const { return bytes_; }

 private:
  struct Free {
    size_t bytes;  // as allocated (big_alloc.h); unused while the pointer is null
    void operator()(uint8_t* p) const;
  };
  std::unique_ptr<uint8_t, Free> data_;
  size_t bytes_ = 0;
};

}  // namespace inr
