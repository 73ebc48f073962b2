// libFuzzer target for the .npy reader: any input gives a tensor or a Status; a tensor read back must encode
// to a file that decodes to the same shape, dtype and bytes.
#include <cstring>
#include <string_view>

#include "core/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto t = inr::decode_npy(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!t) return 0;
  auto again = inr::encode_npy(*t);
  if (!again) return 0;
  auto back = inr::decode_npy(*again);
  if (!back || back->shape() != t->shape() || back->dtype() != t->dtype() || back->bytes() != t->bytes() ||
      (t->bytes() && std::memcmp(back->raw(), t->raw(), t->bytes()) != 0))
    __builtin_trap();
  return 0;
}
