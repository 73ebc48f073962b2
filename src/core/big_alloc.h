// Allocation of large buffers (tensor storage, arenas, a backend's reordered weights) straight from the
// kernel, so that freeing one gives its pages back at once.
//
// Why: glibc serves a block from its heap, not from a private mapping, once its dynamic mmap threshold has
// grown past the block's size (the threshold rises to the size of every mapped block freed, up to 32 MiB), and
// a heap block freed below the top of the heap stays resident. The weights a pass folded and oneDNN then
// reordered stayed in the process's RSS after they were released: a ResNet50 classify peaked at 230 MB for
// 114 MB of live heap (issue #16, weights are held once).
#pragma once

#include <cstddef>

namespace inr {

// Blocks of at least this many bytes are mapped; smaller ones come from malloc.
constexpr size_t kBigAllocBytes = size_t{1} << 20;

// `bytes` (at least 1) uninitialised bytes aligned to `alignment` (a power of two, at most the page size);
// throws std::bad_alloc when out of memory. Free with big_free(p, bytes), passing the same `bytes`.
void* big_alloc(size_t bytes, size_t alignment);
void big_free(void* p, size_t bytes);

}  // namespace inr
