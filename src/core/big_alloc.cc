#include "core/big_alloc.h"

#include <sys/mman.h>

#include <cstdlib>
#include <new>

namespace inr {

namespace {
size_t rounded(size_t bytes, size_t alignment) {
  return (bytes + alignment - 1) / alignment * alignment;
}
}  // namespace

void* big_alloc(size_t bytes, size_t alignment) {
  if (bytes == 0) bytes = 1;
  if (bytes < kBigAllocBytes) {
    void* p = std::aligned_alloc(alignment, rounded(bytes, alignment));
    if (p == nullptr) throw std::bad_alloc();
    return p;
  }
  // A private anonymous mapping is page-aligned (>= any alignment asked for) and reads as zeros.
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  return p;
}

void big_free(void* p, size_t bytes) {
  if (p == nullptr) return;
  if (bytes == 0) bytes = 1;
  if (bytes < kBigAllocBytes) {
    std::free(p);
    return;
  }
  ::munmap(p, bytes);
}

}  // namespace inr
