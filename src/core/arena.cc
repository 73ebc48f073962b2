#include "core/arena.h"

#include "core/big_alloc.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <numeric>

namespace inr {

namespace {
constexpr size_t kArenaAlignment = 64;
size_t align_up(size_t n) { return (n + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment; }
}  // namespace

ArenaPlan plan_arena(const std::vector<BufferLifetime>& buffers) {
  ArenaPlan plan;
  plan.offsets.assign(buffers.size(), 0);
  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return buffers[a].bytes > buffers[b].bytes; });
  struct Placed {
    size_t offset, bytes;
    int first, last;
  };
  std::vector<Placed> placed;
  for (size_t idx : order) {
    const BufferLifetime& b = buffers[idx];
    size_t need = align_up(b.bytes);
    // Collect the placed buffers whose lifetime overlaps this one, sorted by offset.
    std::vector<Placed> live;
    for (const Placed& p : placed)
      if (!(p.last < b.first_use || b.last_use < p.first)) live.push_back(p);
    std::sort(live.begin(), live.end(), [](const Placed& x, const Placed& y) { return x.offset < y.offset; });
    size_t best = SIZE_MAX, cursor = 0, best_gap = SIZE_MAX;
    for (const Placed& p : live) {
      if (p.offset >= cursor && p.offset - cursor >= need && p.offset - cursor < best_gap) {
        best = cursor;
        best_gap = p.offset - cursor;
      }
      cursor = std::max(cursor, p.offset + align_up(p.bytes));
    }
    if (best == SIZE_MAX) best = cursor;
    plan.offsets[idx] = best;
    plan.total_bytes = std::max(plan.total_bytes, best + need);
    placed.push_back({best, b.bytes, b.first_use, b.last_use});
  }
  return plan;
}

void Arena::Free::operator()(uint8_t* p) const { big_free(p, bytes); }

Arena::Arena(size_t bytes) : bytes_(bytes) {
  size_t rounded = align_up(std::max<size_t>(bytes, 1));
  // big_alloc: a large arena's pages go back to the system when it is freed (issue #16).
  auto* p = static_cast<uint8_t*>(big_alloc(rounded, kArenaAlignment));
  std::memset(p, 0, rounded);  // touch every page now, not during the first run
  data_ = std::unique_ptr<uint8_t, Free>(p, Free{rounded});
}

}  // namespace inr
