#include "data/labels.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <iterator>
#include <numeric>

#include "core/file.h"

namespace inr::data {

std::string Labels::name(int64_t index) const {
  if (index >= 0 && index < static_cast<int64_t>(names.size())) return names[index];
  return "class " + std::to_string(index);
}

Result<Labels> load_labels(const std::string& path) {
  INR_ASSIGN_OR_RETURN(std::string text, read_file(path));  // refuses a FIFO or device instead of blocking
  std::istringstream in(text);
  Labels labels;
  std::string line;
  bool synset = true;
  std::vector<std::string> lines;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.empty()) return error("{}: no labels", path);
  // Synset format when every line starts with a WordNet id (n + 8 digits) and a space.
  for (const auto& l : lines)
    synset = synset && l.size() > 10 && l[0] == 'n' && l[9] == ' ' &&
             std::all_of(l.begin() + 1, l.begin() + 9, [](char c) { return c >= '0' && c <= '9'; });
  for (const auto& l : lines) {
    if (synset) {
      labels.wnids.push_back(l.substr(0, 9));
      labels.names.push_back(l.substr(10));
    } else {
      labels.names.push_back(l);
    }
  }
  return labels;
}

namespace {

struct ImagenetClass {
  const char* wnid;
  const char* name;
  const char* words;
};

constexpr ImagenetClass kClassTable[] = {
#define INR_IMAGENET_CLASS(wnid, name, words) {wnid, name, words},
#include "data/imagenet_classes.def"
#undef INR_IMAGENET_CLASS
};
static_assert(std::size(kClassTable) == 1000, "imagenet_classes.def must list 1000 classes");

}  // namespace

namespace {

// The table's wnids with one of its name columns.
Labels table_labels(const char* ImagenetClass::*name) {
  Labels l;
  for (const ImagenetClass& c : kClassTable) {
    l.names.emplace_back(c.*name);
    l.wnids.emplace_back(c.wnid);
  }
  return l;
}

}  // namespace

const Labels& imagenet_labels() {
  static const Labels labels = table_labels(&ImagenetClass::name);
  return labels;
}

const Labels& imagenet_synset_labels() {
  static const Labels labels = table_labels(&ImagenetClass::words);
  return labels;
}

Result<Labels> labels_for_classes(const std::string& path, int64_t classes) {
  if (!path.empty()) {
    INR_ASSIGN_OR_RETURN(Labels l, load_labels(path));
    if (static_cast<int64_t>(l.names.size()) != classes)
      return error("{}: {} class names, but the model has {} classes", path, l.names.size(), classes);
    return l;
  }
  if (classes == kImagenetClasses) return imagenet_labels();
  if (classes == kImagenetClasses + 1) {
    Labels l = imagenet_labels();
    l.names.insert(l.names.begin(), "background");
    l.wnids.insert(l.wnids.begin(), "");
    return l;
  }
  return Labels{};
}

std::vector<int> top_k(std::span<const float> scores, int k) {
  std::vector<int> idx(scores.size());
  std::iota(idx.begin(), idx.end(), 0);
  k = std::min<int>(k, static_cast<int>(idx.size()));
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int a, int b) {
    return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
  });
  idx.resize(static_cast<size_t>(k));
  return idx;
}

bool is_probability_vector(std::span<const float> scores) {
  constexpr double kSumTolerance = 1e-3;
  double sum = 0;
  for (float s : scores) {
    if (!(s >= 0.f && s <= 1.f)) return false;
    sum += s;
  }
  return std::abs(sum - 1.0) <= kSumTolerance;
}

void softmax(std::span<const float> scores, std::span<float> out) {
  float mx = *std::max_element(scores.begin(), scores.end());
  double sum = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    out[i] = std::exp(scores[i] - mx);
    sum += out[i];
  }
  for (float& o : out) o = static_cast<float>(o / sum);
}

}  // namespace inr::data
