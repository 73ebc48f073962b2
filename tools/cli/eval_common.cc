#include "eval_common.h"

#include <filesystem>

#include <fmt/format.h>

#include "cli_errors.h"
#include "command.h"
#include "core/sha256.h"
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
                  "Class order for wnid folders (synset_words.txt)")
      ->default_str("the ImageNet-1k classes built into inr");
  app->add_option("--limit", f.limit, "Only the first N images (sorted by path, before --shard)")
      ->check(at_least(1))
      ->default_str("all");
  app->add_option("--sample", f.sample,
                  "A class-balanced random subset of N images (round-robin over the classes, seeded by --seed; "
                  "before --shard)")
      ->check(at_least(1))
      ->default_str("all");
  app->add_option("--seed", f.seed, "Seed of --sample")->capture_default_str();
  app->add_option("--shard", f.shard,
                  "Evaluate shard K of N (K/N, 1-based; contiguous, no padding), or 'auto': this task's shard of a "
                  "Slurm job array (SLURM_ARRAY_TASK_ID/_MIN/_COUNT) or a Kubernetes Indexed Job "
                  "(JOB_COMPLETION_INDEX, with INR_SHARD_COUNT=N)")
      ->check(parsed_by(
          [](const std::string& s) {  // 'auto' reads the environment when the run starts
            return s == "auto" ? Status::ok() : data::parse_shard(s).status();
          },
          "K/N|auto"));
}

}  // namespace inr::cli
