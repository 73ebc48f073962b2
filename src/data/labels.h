// Class labels and top-k scoring, shared by classify, eval and compare.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "inr/status.h"

namespace inr::data {

// One label per line. Accepts plain names (imagenet_classes.txt) and Caffe synset lines
// ("n01440764 tench, Tinca tinca" -> name "tench, Tinca tinca", wnid "n01440764"). A missing final
// newline is fine; empty files are an error.
struct Labels {
  std::vector<std::string> names;
  std::vector<std::string> wnids;  // empty when the file has none
  std::string name(int64_t index) const;  // "class 17" when out of range
};
Result<Labels> load_labels(const std::string& path);

// The 1000 ImageNet-1k classes compiled into the binary (imagenet_classes.def): torchvision's names and the
// WordNet ids, in the index order every ImageNet classifier uses. No data directory is needed.
const Labels& imagenet_labels();
// The same classes with Caffe's synset words as names ("tench, Tinca tinca").
const Labels& imagenet_synset_labels();
inline constexpr int64_t kImagenetClasses = 1000;

// Class names for a model whose scores have `classes` entries. `path` non-empty: that file, which must
// have exactly `classes` lines (an error naming both counts otherwise). `path` empty: the built-in
// ImageNet classes for 1000 outputs; for 1001 outputs (TensorFlow's "background" first) the same shifted
// by one; for any other count no names (Labels::name prints "class N").
Result<Labels> labels_for_classes(const std::string& path, int64_t classes);

// Indices of the k largest scores, best first; ties keep the lower index first.
std::vector<int> top_k(std::span<const float> scores, int k);

// True when `scores` already look like probabilities (all in [0, 1], sum within 1e-3 of 1).
bool is_probability_vector(std::span<const float> scores);
// Numerically stable softmax into `out` (may alias `scores`).
void softmax(std::span<const float> scores, std::span<float> out);

}  // namespace inr::data
