// Labelled image datasets for `inr eval` / `inr compare`: discovery of the on-disk layout, list and
// ground-truth parsing, and deterministic sharding.
//
// Layouts (open_dataset picks one from what `source` is):
//  - kWnidFolders:  DIR/n01440764/*.JPEG (ILSVRC train/val style). Class index = position of the wnid in
//                   `DatasetOptions::wnids` (synset_words.txt order, which is sorted-wnid order); when no
//                   wnid list is given, the sorted wnids present are numbered 0.. (correct only when all 1000
//                   classes are present; `Dataset::note` says so).
//  - kIndexFolders: DIR/233/*.jpg, the folder name is the class index.
//  - kListFile:     a text file, one `path<TAB or spaces>label[<TAB>wnid]` per line; paths are relative to
//                   the list's folder (absolute paths are kept); '#' comments and blank lines are skipped.
//                   imagenet/labels.tsv and Caffe's val.txt (`name label`) both are list files.
//  - kFlatGroundTruth: DIR/*.JPEG plus `DatasetOptions::ground_truth` (Caffe format `name label`, names
//                   relative to DIR). Every image in DIR must have a ground-truth entry (else an error that
//                   names one); entries without an image are ignored (the full 50k val.txt is fine).
// In folder layouts, files are those with an image extension (.jpg .jpeg .jpe .png, any case), found
// recursively under each class folder, following symlinks; other files are counted in `skipped_files`.
//
// Samples are sorted by key (the path relative to the dataset root, or as written in the list file),
// so the order, the shards and the JSONL keys are the same on every machine and every run.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "inr/status.h"

namespace inr::data {

enum class DatasetLayout { kWnidFolders, kIndexFolders, kListFile, kFlatGroundTruth };
std::string_view layout_name(DatasetLayout layout);  // "wnid folders", ...

struct Sample {
  std::string key;   // stable id: path relative to the dataset root (or as in the list file)
  std::string path;  // path to open
  int label = -1;    // class index
};

struct Dataset {
  DatasetLayout layout = DatasetLayout::kListFile;
  std::string root;              // folder that keys are relative to
  std::vector<Sample> samples;   // sorted by key, keys unique
  int64_t skipped_files = 0;     // non-image files seen in folder layouts
  std::string note;              // a caveat to show the user (empty when none)
};

struct DatasetOptions {
  std::string ground_truth;         // Caffe val.txt, for a flat folder
  std::vector<std::string> wnids;   // class order for wnid folders (synset_words.txt); may be empty
};

Result<Dataset> open_dataset(const std::string& source, const DatasetOptions& options = {});

// One parsed line of a list / ground-truth file.
struct ListEntry {
  std::string path;
  int label = -1;
  std::string wnid;  // optional third column
};
// Parses `path<TAB>label[<TAB>wnid]` or `path label` (whitespace-separated; with no TAB the label is the
// last whitespace-separated field, so paths may contain spaces only in TAB-separated files).
// `where` ("val.txt:12") prefixes errors.
Result<ListEntry> parse_list_line(std::string_view line, const std::string& where);
// All entries of a list file (comments / blank lines skipped, CRLF accepted).
Result<std::vector<ListEntry>> read_list_file(const std::string& path);

bool has_image_extension(std::string_view path);

// The images named by `inr classify -i` arguments, in argument order, each argument expanded as:
//  - a folder: every image file under it (recursive, sorted by path);
//  - a pattern with * ? or [ (glob(3), quoted so the shell leaves it): the matching files, sorted;
//  - a list file (.txt .lst .tsv): one image per line, relative to the list's folder, optionally followed
//    by a class index (`path<TAB>label` or `path label`); '#' comments and blank lines skipped;
//  - anything else: one image file (which must exist).
// Sample::key and Sample::path are the path to open; label is -1 where no list gives one. An argument that
// matches nothing is an error naming it. The same image listed twice is kept twice (the runner does).
Result<std::vector<Sample>> collect_image_args(std::span<const std::string> args);

// `-r START[,END]`: the runner's 1-based, inclusive range over the image list ("5" = from the 5th to the end).
struct Range {
  size_t first = 1;  // 1-based
  size_t last = 0;   // inclusive; 0: to the end
};
Result<Range> parse_range(std::string_view text);

// `--shard K/N`: K is 1-based (1..N). Shard K takes the contiguous block [floor((K-1)*M/N), floor(K*M/N))
// of the M sorted samples: the N shards partition the dataset exactly (no padding, no overlap) and
// differ in size by at most one.
struct Shard {
  int index = 1;  // 1..count
  int count = 1;
};
Result<Shard> parse_shard(std::string_view text);

// `--shard auto`: the shard this process is, from the scheduler's environment (README "Sharded runs").
//  - Slurm job array (sbatch --array=A-B[:S]): SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_STEP
//    (1 when unset) and SLURM_ARRAY_TASK_COUNT (else derived from SLURM_ARRAY_TASK_MAX). Task ids must form
//    the arithmetic sequence MIN, MIN+S, ..., MAX: K = (ID - MIN) / S + 1, N = COUNT. A list such as
//    --array=1,4,9 is refused (its ids say nothing about which part of the data a task is).
//  - Kubernetes Indexed Job: JOB_COMPLETION_INDEX (0-based, K = index + 1) and INR_SHARD_COUNT (N; the Job
//    does not expose its `completions` to the pod, so the manifest sets it next to them).
// Slurm wins when both are set. Neither set, or a malformed or inconsistent value, is one error line that
// names the variable. `getenv` is injectable for tests.
struct AutoShard {
  Shard shard;
  std::string source;  // "Slurm array task 3 of 0-3", "Kubernetes job completion index 2"
};
// `flag` names the option in errors ("--shard", "--calib-shard").
using EnvLookup = const char* (*)(const char*);
Result<AutoShard> shard_from_environment(EnvLookup getenv_fn = nullptr, std::string_view flag = "--shard");
// "auto" -> shard_from_environment(), "K/N" -> parse_shard(), with the source ("" for K/N).
Result<AutoShard> resolve_shard(std::string_view text, EnvLookup getenv_fn = nullptr, std::string_view flag = "--shard");

// `--sample N --seed S`: a class-balanced random subset of `n` samples. The classes (by label, in label
// order) are put in a random order and visited round-robin, each visit taking that class's next sample
// from a random permutation of its samples, until `n` are taken; so every class gets floor(n / classes)
// or one more where it has that many. The result is sorted by key like every dataset. The permutation is
// a Fisher-Yates shuffle driven by std::mt19937_64(seed) with its own unbiased bounded draw, so a seed
// selects the same images on every machine and standard library. n >= samples.size() returns them all.
std::vector<Sample> balanced_sample(std::span<const Sample> samples, size_t n, uint64_t seed);
std::pair<size_t, size_t> shard_range(size_t total, const Shard& shard);  // [begin, end)

}  // namespace inr::data
