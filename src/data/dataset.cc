#include "data/dataset.h"

#include <glob.h>

#include <algorithm>
#include <random>
#include <charconv>
#include <cstdlib>
#include <limits>
#include <optional>
#include <filesystem>
#include <sstream>
#include <map>
#include <set>
#include <unordered_map>

#include "core/file.h"

namespace inr::data {

namespace fs = std::filesystem;

std::string_view layout_name(DatasetLayout layout) {
  switch (layout) {
    case DatasetLayout::kWnidFolders: return "wnid folders";
    case DatasetLayout::kIndexFolders: return "class-index folders";
    case DatasetLayout::kListFile: return "list file";
    case DatasetLayout::kFlatGroundTruth: return "flat folder + ground truth";
  }
  return "?";
}

namespace {

bool is_wnid(std::string_view s) {
  return s.size() == 9 && s[0] == 'n' && std::all_of(s.begin() + 1, s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool parse_int(std::string_view s, int& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Largest label accepted: guards against a path or a size landing in the label column.
constexpr int kMaxLabel = 1 << 24;

void sort_and_check(Dataset& d) {
  std::sort(d.samples.begin(), d.samples.end(), [](const Sample& a, const Sample& b) { return a.key < b.key; });
}

Status check_unique(const Dataset& d, const std::string& source) {
  for (size_t i = 1; i < d.samples.size(); ++i)
    if (d.samples[i].key == d.samples[i - 1].key)
      return error("{}: '{}' is listed more than once", source, d.samples[i].key);
  return Status::ok();
}

// Image files under `dir` (recursive, following symlinks), as paths relative to `root`.
Status collect_images(const fs::path& dir, const fs::path& root, bool recursive, std::vector<std::string>& out,
                      int64_t& skipped) {
  std::error_code ec;
  auto visit = [&](const fs::directory_entry& e) {
    std::error_code ec2;
    if (e.is_directory(ec2)) return;
    std::string name = e.path().filename().string();
    if (!name.empty() && name[0] == '.') return;  // hidden files (.DS_Store, editor droppings)
    if (!has_image_extension(name)) {
      ++skipped;
      return;
    }
    out.push_back(e.path().lexically_relative(root).generic_string());
  };
  if (recursive) {
    fs::recursive_directory_iterator it(dir, fs::directory_options::follow_directory_symlink, ec), end;
    if (ec) return error("{}: cannot list: {}", dir.string(), ec.message());
    for (; it != end; it.increment(ec)) {
      if (ec) return error("{}: cannot list: {}", dir.string(), ec.message());
      visit(*it);
    }
  } else {
    fs::directory_iterator it(dir, ec), end;
    if (ec) return error("{}: cannot list: {}", dir.string(), ec.message());
    for (; it != end; it.increment(ec)) {
      if (ec) return error("{}: cannot list: {}", dir.string(), ec.message());
      visit(*it);
    }
  }
  return Status::ok();
}

Result<Dataset> open_list(const std::string& source) {
  INR_ASSIGN_OR_RETURN(std::vector<ListEntry> entries, read_list_file(source));
  Dataset d;
  d.layout = DatasetLayout::kListFile;
  fs::path root = fs::path(source).parent_path();
  d.root = root.empty() ? "." : root.string();
  for (ListEntry& e : entries) {
    Sample s;
    fs::path p(e.path);
    s.path = p.is_absolute() ? e.path : (root / p).string();
    s.key = std::move(e.path);
    s.label = e.label;
    d.samples.push_back(std::move(s));
  }
  sort_and_check(d);
  INR_TRY(check_unique(d, source));
  return d;
}

Result<Dataset> open_flat(const std::string& source, const std::string& ground_truth) {
  INR_ASSIGN_OR_RETURN(std::vector<ListEntry> entries, read_list_file(ground_truth));
  std::unordered_map<std::string, int> gt;
  for (const ListEntry& e : entries) gt[e.path] = e.label;
  Dataset d;
  d.layout = DatasetLayout::kFlatGroundTruth;
  d.root = source;
  std::vector<std::string> files;
  INR_TRY(collect_images(source, source, /*recursive=*/false, files, d.skipped_files));
  if (files.empty()) return error("{}: no images (.jpg/.jpeg/.png) in this folder", source);
  size_t missing = 0;
  std::string first_missing;
  for (const std::string& f : files) {
    auto it = gt.find(f);
    if (it == gt.end()) {
      if (missing++ == 0) first_missing = f;
      continue;
    }
    d.samples.push_back({f, (fs::path(source) / f).string(), it->second});
  }
  if (missing)
    return error("{}: {} of {} images have no entry in {} (first: {})", source, missing, files.size(), ground_truth,
                 first_missing);
  sort_and_check(d);
  return d;
}

Result<Dataset> open_folders(const std::string& source, const DatasetOptions& options) {
  std::error_code ec;
  std::vector<std::string> subdirs;
  bool has_files = false;
  for (fs::directory_iterator it(source, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') continue;
    std::error_code ec2;
    if (it->is_directory(ec2)) {
      subdirs.push_back(name);
    } else if (has_image_extension(name)) {
      has_files = true;
    }
  }
  if (ec) return error("{}: cannot list: {}", source, ec.message());
  if (subdirs.empty()) {
    if (has_files)
      return error("{}: a flat folder of images needs --ground-truth FILE (Caffe val.txt: 'name label' per line)",
                   source);
    return error("{}: no class folders and no images", source);
  }
  std::sort(subdirs.begin(), subdirs.end());
  const bool wnids = std::all_of(subdirs.begin(), subdirs.end(), [](const std::string& s) { return is_wnid(s); });
  const bool indices = std::all_of(subdirs.begin(), subdirs.end(), [](const std::string& s) {
    int v = 0;
    return parse_int(s, v) && v >= 0 && v < kMaxLabel;
  });
  if (!wnids && !indices) {
    auto bad = std::find_if(subdirs.begin(), subdirs.end(), [](const std::string& s) {
      int v = 0;
      return !is_wnid(s) && !parse_int(s, v);
    });
    return error("{}: class folders must all be WordNet ids (n01440764) or all class indices (233); found '{}'",
                 source, bad == subdirs.end() ? subdirs.front() : *bad);
  }
  Dataset d;
  d.root = source;
  std::map<std::string, int> wnid_index;
  if (wnids) {
    d.layout = DatasetLayout::kWnidFolders;
    if (!options.wnids.empty()) {
      for (size_t i = 0; i < options.wnids.size(); ++i) wnid_index.emplace(options.wnids[i], static_cast<int>(i));
      for (const std::string& s : subdirs)
        if (!wnid_index.count(s)) return error("{}: folder '{}' is not a wnid of the class list", source, s);
    } else {
      for (size_t i = 0; i < subdirs.size(); ++i) wnid_index.emplace(subdirs[i], static_cast<int>(i));
      if (subdirs.size() != 1000)
        d.note = fmt::format(
            "no synset list given: the {} wnid folders present are numbered 0..{} in sorted order, which matches "
            "ImageNet's class indices only when all 1000 are present (pass --synsets synset_words.txt)",
            subdirs.size(), subdirs.size() - 1);
    }
  } else {
    d.layout = DatasetLayout::kIndexFolders;
  }
  for (const std::string& s : subdirs) {
    int label = 0;
    if (wnids) {
      label = wnid_index.at(s);
    } else {
      parse_int(s, label);
    }
    std::vector<std::string> files;
    INR_TRY(collect_images(fs::path(source) / s, source, /*recursive=*/true, files, d.skipped_files));
    for (std::string& f : files) {
      std::string path = (fs::path(source) / f).string();
      d.samples.push_back({std::move(f), std::move(path), label});
    }
  }
  if (d.samples.empty()) return error("{}: the class folders hold no images (.jpg/.jpeg/.png)", source);
  sort_and_check(d);
  return d;
}

}  // namespace

bool has_image_extension(std::string_view path) {
  size_t dot = path.rfind('.');
  if (dot == std::string_view::npos) return false;
  std::string ext(path.substr(dot + 1));
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == "jpg" || ext == "jpeg" || ext == "jpe" || ext == "png";
}

Result<ListEntry> parse_list_line(std::string_view line, const std::string& where) {
  ListEntry e;
  std::string_view label;
  if (line.find('\t') != std::string_view::npos) {
    size_t t1 = line.find('\t');
    e.path = std::string(trim(line.substr(0, t1)));
    std::string_view rest = line.substr(t1 + 1);
    size_t t2 = rest.find('\t');
    label = trim(rest.substr(0, t2));
    if (t2 != std::string_view::npos) e.wnid = std::string(trim(rest.substr(t2 + 1)));
  } else {
    std::string_view l = trim(line);
    size_t sp = l.find_last_of(' ');
    if (sp == std::string_view::npos) return error("{}: expected 'path label', got '{}'", where, l);
    e.path = std::string(trim(l.substr(0, sp)));
    label = trim(l.substr(sp + 1));
  }
  if (e.path.empty()) return error("{}: empty path", where);
  if (!parse_int(label, e.label) || e.label < 0 || e.label >= kMaxLabel)
    return error("{}: label '{}' is not a class index", where, label);
  return e;
}

Result<std::vector<ListEntry>> read_list_file(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return error("{}: is a directory, expected a list file", path);
  INR_ASSIGN_OR_RETURN(std::string text, read_file(path));  // refuses a FIFO or device instead of blocking
  std::istringstream in(text);
  std::vector<ListEntry> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::string_view l = trim(line);
    if (l.empty() || l[0] == '#') continue;
    INR_ASSIGN_OR_RETURN(ListEntry e, parse_list_line(line, fmt::format("{}:{}", path, n)));
    out.push_back(std::move(e));
  }
  if (out.empty()) return error("{}: no entries", path);
  return out;
}

Result<Dataset> open_dataset(const std::string& source, const DatasetOptions& options) {
  std::error_code ec;
  if (!fs::exists(source, ec)) return error("{}: no such file or folder", source);
  if (!fs::is_directory(source, ec)) {
    if (!options.ground_truth.empty())
      return error("{}: --ground-truth goes with a flat image folder, not a list file", source);
    return open_list(source);
  }
  if (!options.ground_truth.empty()) return open_flat(source, options.ground_truth);
  return open_folders(source, options);
}

Result<Shard> parse_shard(std::string_view text) {
  size_t slash = text.find('/');
  Shard s;
  if (slash == std::string_view::npos || !parse_int(text.substr(0, slash), s.index) ||
      !parse_int(text.substr(slash + 1), s.count))
    return error("--shard '{}': expected K/N, e.g. 2/8", text);
  if (s.count < 1) return error("--shard '{}': N must be at least 1", text);
  if (s.index < 1 || s.index > s.count)
    return error("--shard '{}': K is 1-based and must be in 1..{}", text, s.count);
  return s;
}

namespace {

// An environment variable as a non-negative int: nullopt when unset, an error when malformed.
Result<std::optional<int64_t>> env_int(EnvLookup getenv_fn, const char* name, std::string_view flag) {
  const char* v = getenv_fn(name);
  if (!v) return std::optional<int64_t>();
  std::string_view s(v);
  int64_t out = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || out < 0)
    return error("{} auto: {}='{}' is not a non-negative integer", flag, name, s);
  return std::optional<int64_t>(out);
}

Result<AutoShard> slurm_shard(EnvLookup env, std::string_view flag) {
  INR_ASSIGN_OR_RETURN(auto id, env_int(env, "SLURM_ARRAY_TASK_ID", flag));
  INR_ASSIGN_OR_RETURN(auto lo, env_int(env, "SLURM_ARRAY_TASK_MIN", flag));
  INR_ASSIGN_OR_RETURN(auto hi, env_int(env, "SLURM_ARRAY_TASK_MAX", flag));
  INR_ASSIGN_OR_RETURN(auto step, env_int(env, "SLURM_ARRAY_TASK_STEP", flag));
  INR_ASSIGN_OR_RETURN(auto count, env_int(env, "SLURM_ARRAY_TASK_COUNT", flag));
  if (!lo || (!hi && !count))
    return error("{} auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_COUNT "
                 "(or _MAX) are not; give {} K/N",
                 flag, flag);
  const int64_t s = step.value_or(1);
  if (s < 1) return error("{} auto: SLURM_ARRAY_TASK_STEP={} must be at least 1", flag, s);
  if (*id < *lo) return error("{} auto: SLURM_ARRAY_TASK_ID={} is below SLURM_ARRAY_TASK_MIN={}", flag, *id, *lo);
  const int64_t n = count ? *count : (*hi - *lo) / s + 1;
  // The ids of an `A-B:S` array are exactly A, A+S, ..., so MAX = MIN + (COUNT-1)*S; a list (1,4,9) is not.
  if (n < 1 || (hi && *hi != *lo + (n - 1) * s) || (*id - *lo) % s != 0 || (*id - *lo) / s >= n)
    return error("{} auto: Slurm array task {} of ids {}..{} step {} ({} tasks) is not one of an evenly "
                 "spaced range; submit --array=0-{} or give {} K/N",
                 flag, *id, *lo, hi ? std::to_string(*hi) : std::string("?"), s, n, n - 1, flag);
  if (n > std::numeric_limits<int>::max()) return error("{} auto: {} array tasks is too many", flag, n);
  AutoShard a;
  a.shard = {static_cast<int>((*id - *lo) / s + 1), static_cast<int>(n)};
  a.source = fmt::format("Slurm array task {} of {}-{}{}", *id, *lo, *lo + (n - 1) * s,
                         s == 1 ? std::string() : fmt::format(":{}", s));
  return a;
}

Result<AutoShard> kubernetes_shard(EnvLookup env, std::string_view flag) {
  INR_ASSIGN_OR_RETURN(auto index, env_int(env, "JOB_COMPLETION_INDEX", flag));
  INR_ASSIGN_OR_RETURN(auto count, env_int(env, "INR_SHARD_COUNT", flag));
  if (!count)
    return error("{} auto: JOB_COMPLETION_INDEX is set but INR_SHARD_COUNT is not; set it to the Job's "
                 "completions in the manifest",
                 flag);
  if (*count < 1 || *count > std::numeric_limits<int>::max())
    return error("{} auto: INR_SHARD_COUNT={} must be in 1..{}", flag, *count, std::numeric_limits<int>::max());
  if (*index >= *count)
    return error("{} auto: JOB_COMPLETION_INDEX={} must be below INR_SHARD_COUNT={}", flag, *index, *count);
  AutoShard a;
  a.shard = {static_cast<int>(*index + 1), static_cast<int>(*count)};
  a.source = fmt::format("Kubernetes job completion index {}", *index);
  return a;
}

}  // namespace

Result<AutoShard> shard_from_environment(EnvLookup env, std::string_view flag) {
  if (!env) env = [](const char* name) -> const char* { return std::getenv(name); };
  if (env("SLURM_ARRAY_TASK_ID")) return slurm_shard(env, flag);
  if (env("JOB_COMPLETION_INDEX")) return kubernetes_shard(env, flag);
  return error("{} auto: no scheduler shard in the environment (SLURM_ARRAY_TASK_ID of a Slurm job array, "
               "or JOB_COMPLETION_INDEX and INR_SHARD_COUNT of a Kubernetes Indexed Job); give {} K/N",
               flag, flag);
}

Result<AutoShard> resolve_shard(std::string_view text, EnvLookup env, std::string_view flag) {
  if (text == "auto") return shard_from_environment(env, flag);
  AutoShard a;
  auto shard = parse_shard(text);
  if (!shard) {  // parse_shard's errors name --shard
    std::string m = shard.status().message();
    if (m.rfind("--shard ", 0) == 0) m = std::string(flag) + m.substr(7);
    return error("{}", m);
  }
  a.shard = *shard;
  return a;
}

std::pair<size_t, size_t> shard_range(size_t total, const Shard& shard) {
  auto bound = [&](int k) {
    return static_cast<size_t>(static_cast<unsigned __int128>(total) * static_cast<unsigned>(k) /
                               static_cast<unsigned>(shard.count));
  };
  return {bound(shard.index - 1), bound(shard.index)};
}

}  // namespace inr::data

namespace inr::data {

namespace {

// Uniform integer in [0, bound) from a 64-bit generator by rejection (no modulo bias), portable unlike
// std::uniform_int_distribution whose algorithm is up to the standard library.
uint64_t bounded(std::mt19937_64& rng, uint64_t bound) {
  const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  uint64_t v = 0;
  do {
    v = rng();
  } while (v >= limit);
  return v % bound;
}

template <typename T>
void shuffle(std::vector<T>& v, std::mt19937_64& rng) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[bounded(rng, i)]);
}

}  // namespace

std::vector<Sample> balanced_sample(std::span<const Sample> samples, size_t n, uint64_t seed) {
  if (n >= samples.size()) return {samples.begin(), samples.end()};
  std::map<int, std::vector<size_t>> by_class;
  for (size_t i = 0; i < samples.size(); ++i) by_class[samples[i].label].push_back(i);
  std::mt19937_64 rng(seed);
  std::vector<std::vector<size_t>*> classes;
  for (auto& [label, idx] : by_class) {
    shuffle(idx, rng);
    classes.push_back(&idx);
  }
  shuffle(classes, rng);
  std::vector<Sample> out;
  out.reserve(n);
  for (size_t round = 0; out.size() < n; ++round)
    for (std::vector<size_t>* c : classes)
      if (round < c->size() && out.size() < n) out.push_back(samples[(*c)[round]]);
  std::sort(out.begin(), out.end(), [](const Sample& a, const Sample& b) { return a.key < b.key; });
  return out;
}

}  // namespace inr::data

namespace inr::data {

namespace {

bool is_list_file(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".txt" || ext == ".lst" || ext == ".tsv";
}

Result<std::vector<Sample>> read_image_list(const std::string& list) {
  INR_ASSIGN_OR_RETURN(std::string text, read_file(list));  // refuses a FIFO or device instead of blocking
  std::istringstream in(text);
  const fs::path dir = fs::path(list).parent_path();
  std::vector<Sample> out;
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    std::string_view l = trim(line);
    if (l.empty() || l[0] == '#') continue;
    Sample s;
    std::string where = fmt::format("{}:{}", list, n);
    // A label is the last field when there is a TAB, or a trailing integer after whitespace.
    size_t sep = l.find('\t');
    if (sep == std::string_view::npos) sep = l.find_last_of(" ");
    int label = -1;
    std::string path(l);
    if (sep != std::string_view::npos) {
      std::string_view tail = trim(l.substr(sep + 1));
      if (l.find('\t') != std::string_view::npos) {
        INR_ASSIGN_OR_RETURN(ListEntry e, parse_list_line(l, where));
        path = e.path;
        label = e.label;
      } else if (parse_int(tail, label)) {
        path = std::string(trim(l.substr(0, sep)));
      } else {
        label = -1;
      }
    }
    if (label < -1) return error("{}: negative class index {}", where, label);
    fs::path p(path);
    s.path = p.is_absolute() ? path : (dir / p).string();
    s.key = s.path;
    s.label = label;
    out.push_back(std::move(s));
  }
  if (out.empty()) return error("{}: no images listed", list);
  return out;
}

}  // namespace

Result<std::vector<Sample>> collect_image_args(std::span<const std::string> args) {
  std::vector<Sample> out;
  auto add = [&](std::string path) {
    Sample s;
    s.key = path;
    s.path = std::move(path);
    out.push_back(std::move(s));
  };
  for (const std::string& arg : args) {
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      std::vector<std::string> rel;
      int64_t skipped = 0;
      INR_TRY(collect_images(arg, arg, /*recursive=*/true, rel, skipped));
      if (rel.empty()) return error("{}: no image files in this folder", arg);
      std::sort(rel.begin(), rel.end());
      for (const std::string& r : rel) add((fs::path(arg) / r).string());
    } else if (arg.find_first_of("*?[") != std::string::npos && !fs::exists(arg, ec)) {
      glob_t g{};
      int rc = ::glob(arg.c_str(), GLOB_ERR, nullptr, &g);
      if (rc == GLOB_NOMATCH) {
        ::globfree(&g);
        return error("{}: no file matches this pattern", arg);
      }
      if (rc != 0) {
        ::globfree(&g);
        return error("{}: cannot expand this pattern", arg);
      }
      std::vector<std::string> matches(g.gl_pathv, g.gl_pathv + g.gl_pathc);
      ::globfree(&g);
      std::sort(matches.begin(), matches.end());
      size_t before = out.size();
      for (std::string& m : matches)
        if (!fs::is_directory(m, ec)) add(std::move(m));
      if (out.size() == before) return error("{}: the pattern matches only folders", arg);
    } else if (is_list_file(arg)) {
      INR_ASSIGN_OR_RETURN(std::vector<Sample> listed, read_image_list(arg));
      for (Sample& s : listed) out.push_back(std::move(s));
    } else {
      if (!fs::exists(arg, ec)) return error("{}: no such file", arg);
      add(arg);
    }
  }
  return out;
}

Result<Range> parse_range(std::string_view text) {
  auto number = [&](std::string_view s, size_t& v) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && p == s.data() + s.size() && v >= 1;
  };
  Range r;
  size_t comma = text.find(',');
  std::string_view a = text.substr(0, comma);
  if (!number(a, r.first)) return error("-r: '{}' is not START[,END] with 1-based image numbers", text);
  if (comma != std::string_view::npos) {
    if (!number(text.substr(comma + 1), r.last) || r.last < r.first)
      return error("-r: '{}' is not START[,END] with 1 <= START <= END", text);
  }
  return r;
}

}  // namespace inr::data
