#include "drivers/dataset_select.h"

#include <filesystem>

#include <fmt/format.h>

#include "core/sha256.h"
#include "data/labels.h"

namespace inr {

namespace fs = std::filesystem;

Result<SelectedSamples> select_samples(const DatasetSelection& f) {
  if (f.limit > 0 && f.sample > 0) return error("--limit and --sample are alternatives: give one");
  data::DatasetOptions opts;
  opts.ground_truth = f.ground_truth;
  SelectedSamples out;
  // The class list only matters for wnid folders; read a --synsets file only for them.
  std::error_code ec;
  if (fs::is_directory(f.data, ec) && f.ground_truth.empty()) {
    if (f.synsets.empty()) {
      opts.wnids = data::imagenet_labels().wnids;
    } else {
      auto labels = data::load_labels(f.synsets);
      if (!labels) return labels.status();
      if (labels->wnids.empty()) return error("{}: --synsets needs 'n01440764 name' lines (synset_words.txt)", f.synsets);
      opts.wnids = labels->wnids;
      out.synsets = static_cast<int64_t>(labels->wnids.size());
    }
  }
  INR_ASSIGN_OR_RETURN(out.dataset, data::open_dataset(f.data, opts));
  std::span<const data::Sample> all = out.dataset.samples;
  out.description = fmt::format("{} ({}): {} images", f.data, data::layout_name(out.dataset.layout), all.size());
  std::vector<data::Sample> sampled;
  if (f.limit > 0 && static_cast<size_t>(f.limit) < all.size()) {
    all = all.first(static_cast<size_t>(f.limit));
    out.description += fmt::format(", first {}", all.size());
  } else if (f.sample > 0 && static_cast<size_t>(f.sample) < all.size()) {
    sampled = data::balanced_sample(all, static_cast<size_t>(f.sample), f.seed);
    all = sampled;
    out.description += fmt::format(", class-balanced sample of {} (seed {})", all.size(), f.seed);
  }
  // What the selection is, for the provenance of every output: the same --data/--limit/--sample on
  // another machine (another mount point) gives the same fingerprint.
  Sha256 h;
  for (const data::Sample& s : all) {
    std::string line = fmt::format("{}\t{}\n", s.key, s.label);
    h.update(line.data(), line.size());
  }
  out.dataset_json = {{"root", f.data},
                      {"layout", std::string(data::layout_name(out.dataset.layout))},
                      {"images", all.size()},
                      {"limit", f.limit},
                      {"sample", f.sample},
                      {"seed", f.seed},
                      {"fingerprint", h.hex_digest()}};
  if (!f.shard.empty()) {
    // "auto": the scheduler's array task (data/dataset.h); the journal records the resolved K/N, so
    // `inr merge` checks an array's shards like hand-numbered ones.
    INR_ASSIGN_OR_RETURN(data::AutoShard a, data::resolve_shard(f.shard));
    const data::Shard& shard = a.shard;
    out.dataset_json["shard"] = fmt::format("{}/{}", shard.index, shard.count);
    auto [b, e] = data::shard_range(all.size(), shard);
    all = all.subspan(b, e - b);
    out.description += fmt::format(", shard {}/{}{}: {}", shard.index, shard.count,
                                   a.source.empty() ? std::string() : " (" + a.source + ")", all.size());
  }
  out.samples.assign(all.begin(), all.end());
  return out;
}

Status check_synsets(const SelectedSamples& selected, const DatasetSelection& selection, int64_t classes) {
  if (selected.synsets > 0 && selected.synsets != classes)
    return error("{}: {} synsets, but the model has {} classes; the --synsets list gives the model's class order",
                 selection.synsets, selected.synsets, classes);
  return Status::ok();
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

data::Summary summary_from_json(const nlohmann::json& j) {
  data::Summary s;
  s.images = j.value("images", int64_t{0});
  s.failed = j.value("failed", int64_t{0});
  s.top1 = j.value("top1_count", int64_t{0});
  s.top5 = j.value("top5_count", int64_t{0});
  s.inference_ms = j.value("inference_ms", 0.0);
  return s;
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

}  // namespace inr
