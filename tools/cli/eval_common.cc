#include "eval_common.h"

#include <filesystem>

#include <fmt/format.h>

#include "command.h"
#include "data/labels.h"

namespace inr::cli {

namespace fs = std::filesystem;

void add_dataset_flags(CLI::App* app, DatasetFlags& f, bool required) {
  auto* d = app->add_option("--data", f.data,
                            "Dataset: folder of wnid folders (n01440764/), of class-index folders (233/), a flat "
                            "folder with --ground-truth, or a list file 'path<TAB>label' (paths relative to it)");
  if (required) d->required();
  app->add_option("--ground-truth", f.ground_truth, "Caffe-format ground truth ('name label' per line) for a flat folder");
  app->add_option("--synsets", f.synsets,
                  "Class order for wnid folders (synset_words.txt; default: labels/synset_words.txt of the data dir)");
  app->add_option("--limit", f.limit, "Only the first N images (sorted by path, before --shard)")
      ->check(CLI::PositiveNumber);
  app->add_option("--shard", f.shard, "Evaluate shard K of N (K/N, 1-based; contiguous, no padding)");
}

Result<SelectedSamples> select_samples(const DatasetFlags& f) {
  data::DatasetOptions opts;
  opts.ground_truth = f.ground_truth;
  std::string synsets = f.synsets;
  if (synsets.empty()) {
    std::string d = default_data_dir();
    std::error_code ec;
    if (!d.empty() && fs::exists(fs::path(d) / "labels" / "synset_words.txt", ec))
      synsets = (fs::path(d) / "labels" / "synset_words.txt").string();
  }
  SelectedSamples out;
  // The class list only matters for wnid folders; read it lazily so a bad default never breaks other layouts.
  std::error_code ec;
  if (!synsets.empty() && fs::is_directory(f.data, ec) && f.ground_truth.empty()) {
    auto labels = data::load_labels(synsets);
    if (!labels) return labels.status();
    if (labels->wnids.empty() && !f.synsets.empty())
      return error("{}: --synsets needs 'n01440764 name' lines (synset_words.txt)", synsets);
    opts.wnids = labels->wnids;
  }
  INR_ASSIGN_OR_RETURN(out.dataset, data::open_dataset(f.data, opts));
  std::span<const data::Sample> all = out.dataset.samples;
  out.description = fmt::format("{} ({}): {} images", f.data, data::layout_name(out.dataset.layout), all.size());
  if (f.limit > 0 && static_cast<size_t>(f.limit) < all.size()) {
    all = all.first(static_cast<size_t>(f.limit));
    out.description += fmt::format(", first {}", all.size());
  }
  if (!f.shard.empty()) {
    INR_ASSIGN_OR_RETURN(data::Shard shard, data::parse_shard(f.shard));
    auto [b, e] = data::shard_range(all.size(), shard);
    all = all.subspan(b, e - b);
    out.description += fmt::format(", shard {}/{}: {}", shard.index, shard.count, all.size());
  }
  out.samples.assign(all.begin(), all.end());
  return out;
}

nlohmann::json summary_json(const data::Summary& s) {
  data::Interval c1 = s.top1_ci(), c5 = s.top5_ci();
  return {{"images", s.images},
          {"failed", s.failed},
          {"top1", s.top1_rate()},
          {"top5", s.top5_rate()},
          {"top1_ci", {c1.lo, c1.hi}},
          {"top5_ci", {c5.lo, c5.hi}},
          {"top1_count", s.top1},
          {"top5_count", s.top5},
          {"inference_ms", s.inference_ms}};
}

std::string summary_text(const data::Summary& s) {
  data::Interval c1 = s.top1_ci(), c5 = s.top5_ci();
  std::string out = fmt::format("images      {} scored, {} failed\n", s.images, s.failed);
  out += fmt::format("top-1       {:6.2f}%  ({}/{})  95% CI [{:.2f}%, {:.2f}%]\n", 100 * s.top1_rate(), s.top1, s.images,
                     100 * c1.lo, 100 * c1.hi);
  out += fmt::format("top-5       {:6.2f}%  ({}/{})  95% CI [{:.2f}%, {:.2f}%]\n", 100 * s.top5_rate(), s.top5, s.images,
                     100 * c5.lo, 100 * c5.hi);
  return out;
}

}  // namespace inr::cli
