// JPEG encoding through TurboJPEG's compress API (libturbojpeg, already linked for the image layer): one
// call from packed RGB to a JFIF buffer that TurboJPEG allocates and we copy out and free.
#include "image/jpeg_write.h"

#include <turbojpeg.h>

namespace inr::image {

Result<std::string> encode_jpeg(const Image& img, int quality) {
  if (img.width <= 0 || img.height <= 0 || img.pixels.size() != static_cast<size_t>(img.width) * img.height * 3)
    return error("JPEG encode: invalid image {}x{}", img.width, img.height);
  if (quality < 1 || quality > 100) return error("JPEG encode: quality {} is outside 1..100", quality);
  tjhandle h = tjInitCompress();
  if (h == nullptr) return error("JPEG encode: cannot create a TurboJPEG compressor: {}", tjGetErrorStr2(nullptr));
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  const int rc = tjCompress2(h, img.pixels.data(), img.width, img.width * 3, img.height, TJPF_RGB, &buf, &size,
                             TJSAMP_420, quality, 0);
  Result<std::string> out = rc == 0 ? Result<std::string>(std::string(reinterpret_cast<const char*>(buf), size))
                                    : Result<std::string>(error("JPEG encode failed: {}", tjGetErrorStr2(h)));
  tjFree(buf);
  tjDestroy(h);
  return out;
}

}  // namespace inr::image
