// Helpers for the image tests: the reference table of preproc_torchvision.tsv and pixel comparisons.
#pragma once

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "image/image.h"
#include "test_util.h"

namespace inr::image::test {

struct RefRow {
  std::string source;  // relative to the data dir
  std::string crop_png;  // file name under reference/preproc_torchvision/, "-" when none
  std::string mode;      // Pillow mode, or ERROR
  std::string note;      // size, or the error Pillow gave
};

inline std::vector<RefRow> read_reference_table() {
  std::vector<RefRow> rows;
  std::ifstream in(inr::test::data_dir() + "/reference/preproc_torchvision.tsv");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::stringstream ss(line);
    RefRow r;
    std::getline(ss, r.source, '\t');
    std::getline(ss, r.crop_png, '\t');
    std::getline(ss, r.mode, '\t');
    std::getline(ss, r.note, '\t');
    rows.push_back(r);
  }
  return rows;
}

struct PixelDiff {
  int64_t total = 0;
  int64_t exact = 0;
  int max_diff = 0;
};

inline PixelDiff compare(const Image& a, const Image& b) {
  PixelDiff d;
  if (a.width != b.width || a.height != b.height) {
    d.max_diff = 256;
    return d;
  }
  for (size_t i = 0; i < a.pixels.size(); ++i) {
    int diff = std::abs(int{a.pixels[i]} - int{b.pixels[i]});
    d.total++;
    d.exact += diff == 0;
    d.max_diff = std::max(d.max_diff, diff);
  }
  return d;
}

}  // namespace inr::image::test
