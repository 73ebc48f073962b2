// Reading the observer files of a distributed calibration back (observer_files.h).
#include "drivers/observer_files.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/file.h"
#include "data/dataset.h"
#include "drivers/provenance.h"
#include "quant/observer_io.h"

namespace inr {

namespace {

std::string show(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

struct Shard {
  std::string path;
  nlohmann::json header;
  quant::ObserverFile file;
  data::Shard shard;
};

// One field of two headers must agree: "a.bin was calibrated with calibrator entropy, b.bin with l2".
Status same(const nlohmann::json& a, const std::string& what_a, const nlohmann::json& b, const std::string& what_b,
            const char* key, const char* label) {
  nlohmann::json va = a.value(key, nlohmann::json()), vb = b.value(key, nlohmann::json());
  if (va != vb) return error("{} was made with {} {}, {} with {}", what_a, label, show(va), what_b, show(vb));
  return Status::ok();
}

}  // namespace

Result<MergedObservers> read_observer_shards(const std::vector<std::string>& paths, const ObserverRun& run) {
  if (paths.empty()) return error("--observers needs at least one file");
  std::vector<Shard> shards;
  for (const std::string& path : paths) {
    INR_ASSIGN_OR_RETURN(std::string bytes, read_file(path));
    Shard s;
    s.path = path;
    INR_ASSIGN_OR_RETURN(s.file, quant::decode_observers(bytes, path));
    s.header = nlohmann::json::parse(s.file.header, nullptr, /*allow_exceptions=*/false);
    if (s.header.is_discarded() || !s.header.is_object()) return error("{}: the observer file's header is not JSON", path);
    INR_TRY(check_schema(s.header, kObserversSchema, 1, path));
    const nlohmann::json d = s.header.value("dataset", nlohmann::json::object());
    INR_ASSIGN_OR_RETURN(s.shard, data::parse_shard(d.is_object() ? d.value("shard", "") : ""));
    shards.push_back(std::move(s));
  }

  // One calibration: every file agrees with the first on everything but the shard.
  const Shard& first = shards[0];
  for (size_t i = 1; i < shards.size(); ++i) {
    const Shard& s = shards[i];
    INR_TRY(same(first.header, first.path, s.header, s.path, "inr_version", "inr version"));
    INR_TRY(check_same_run(first.header, first.path, s.header, s.path));
    INR_TRY(same(first.header, first.path, s.header, s.path, "calibrator", "calibrator"));
    INR_TRY(same(first.header, first.path, s.header, s.path, "bins", "bins"));
    INR_TRY(same(first.header.at("dataset"), first.path, s.header.at("dataset"), s.path, "batch", "calibration batch"));
    if (s.file.tensors != first.file.tensors)
      return error("{} and {} observed different tensors (different --op-types, --exclude or --format?)", first.path,
                   s.path);
  }
  // Every shard exactly once.
  const int count = first.shard.count;
  std::map<int, std::string> seen;
  for (const Shard& s : shards) {
    if (s.shard.count != count)
      return error("{} is calibration shard {}/{}, but {} is one of {}", s.path, s.shard.index, s.shard.count,
                   first.path, count);
    auto [it, inserted] = seen.emplace(s.shard.index, s.path);
    if (!inserted)
      return error("calibration shard {}/{} is given twice: {} and {}", s.shard.index, count, it->second, s.path);
  }
  std::vector<std::string> missing;
  for (int k = 1; k <= count; ++k)
    if (!seen.count(k)) missing.push_back(fmt::format("{}/{}", k, count));
  if (!missing.empty())
    return error("missing calibration shard{} {}: the model must see every image", missing.size() == 1 ? "" : "s",
                 fmt::join(missing, ", "));

  // The observers fit this run.
  nlohmann::json current = {{"model", run.model}, {"preprocess", run.preprocess}};
  INR_TRY(check_same_run(first.header, first.path, current, "this run", /*compare_dataset=*/false));
  if (first.header.value("inr_version", "") != INR_VERSION)
    return error("{} was made by inr {}, this is inr {}", first.path, first.header.value("inr_version", "?"),
                 INR_VERSION);
  if (first.header.value("calibrator", "") != run.calibrator)
    return error("{} was calibrated for --calib {}, this run asks for {}", first.path,
                 first.header.value("calibrator", "?"), run.calibrator);
  if (first.header.value("bins", 0) != run.bins)
    return error("{} has {} histogram bins, this run asks for --bins {}", first.path, first.header.value("bins", 0),
                 run.bins);
  if (first.file.tensors != run.tensors)
    return error("{} observed {} tensors, this run quantizes with {} others (different --op-types, --exclude or "
                 "--format than the calibration?)",
                 first.path, first.file.tensors.size(), run.tensors.size());

  // Merge in shard order (exact in any order: observer.h).
  MergedObservers m;
  std::vector<const Shard*> ordered(static_cast<size_t>(count));
  for (const Shard& s : shards) ordered[static_cast<size_t>(s.shard.index - 1)] = &s;
  std::string tier = first.header.value("cpu_tier", "");
  for (const Shard* s : ordered) {
    for (const std::string& name : s->file.tensors) {
      auto [it, inserted] = m.observers.emplace(name, s->file.observers.at(name));
      if (!inserted) INR_TRY(it->second.merge(s->file.observers.at(name)));
    }
    m.images_used += s->header.value("images_used", size_t{0});
    m.images_failed += s->header.value("images_failed", size_t{0});
    for (const auto& line : s->header.value("skipped_images", nlohmann::json::array()))
      if (line.is_string()) m.skipped_images.push_back(line.get<std::string>());
    if (s->header.value("cpu_tier", "") != tier && m.notes.empty())
      m.notes.push_back(fmt::format("warning: the shards ran on different CPU tiers ({} has {}, {} has {}): float "
                                    "kernels can round differently, so the model may differ in the last bits from "
                                    "a one-process calibration",
                                    first.path, tier, s->path, s->header.value("cpu_tier", "")));
  }
  m.dataset = first.header.at("dataset");
  m.dataset.erase("shard");
  m.shards = shards.size();
  return m;
}

}  // namespace inr
