// libFuzzer target for the JPEG decoder (libjpeg API, region decoding, CMYK conversion, EXIF parsing).
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Only JPEG-signed inputs reach the JPEG decoder; give the fuzzer the signature for free.
  static uint8_t buf[1 << 20];
  if (size + 3 > sizeof(buf)) return 0;
  buf[0] = 0xff, buf[1] = 0xd8, buf[2] = 0xff;
  __builtin_memcpy(buf + 3, data, size);
  inr::fuzz::decode_and_preprocess(buf, size + 3);
  return 0;
}
