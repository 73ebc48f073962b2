// libFuzzer target for the PNG decoder (libpng read callbacks, colour types, interlacing, eXIf).
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const uint8_t kSig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  static uint8_t buf[1 << 20];
  if (size + 8 > sizeof(buf)) return 0;
  __builtin_memcpy(buf, kSig, 8);
  __builtin_memcpy(buf + 8, data, size);
  inr::fuzz::decode_and_preprocess(buf, size + 8);
  return 0;
}
