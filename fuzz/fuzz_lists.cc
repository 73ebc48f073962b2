// libFuzzer target for the text inputs of eval/classify/merge: list and ground-truth lines, predictions-file
// (journal) lines, `-r` ranges and `--shard` specs, and whole journals read back from a file. Any input gives a
// value or a Status; nothing may crash, hang or throw.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <string_view>

#include "core/file.h"
#include "data/dataset.h"
#include "data/predictions.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    (void)inr::data::parse_list_line(line, "fuzz:1");
    (void)inr::data::parse_prediction(line, "fuzz:1");
    (void)inr::data::parse_range(line);
    (void)inr::data::parse_shard(line);
    start = end + 1;
  }
  // The journal reader works on files (it checks the header line and drops a torn tail).
  // In memory (/dev/shm) where there is one: a disk file per execution made this target wait on writeback.
  static const std::string path = std::string(access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp") +
                                  "/inr-fuzz-journal-" + std::to_string(getpid()) + ".jsonl";
  if (FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data, 1, size, f);
    std::fclose(f);
    (void)inr::data::read_predictions(path);
    (void)inr::data::read_list_file(path);
  }
  return 0;
}
