// `inr fetch NAME [--model-dir DIR]`: official ONNX Model Zoo files with sha256 and size, cached under
// ~/.cache/inr (or $XDG_CACHE_HOME/inr). A mirror directory ($INR_MODEL_DIR or --model-dir) replaces the
// network: CI and tests use ../shared/data/models that way. Every file is checksum-verified.
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>

#include "command.h"
#include "core/sha256.h"

namespace inr::cli {

namespace fs = std::filesystem;

namespace {

struct ZooModel {
  const char* name;
  const char* path;  // inside github.com/onnx/models (Git LFS; sha256 and size from the LFS pointer)
  const char* sha256;
  int64_t size;
};

constexpr const char* kZooBase = "https://github.com/onnx/models/raw/main/";

constexpr ZooModel kZoo[] = {
    {"resnet50-v1-12", "vision/classification/resnet/model/resnet50-v1-12.onnx",
     "ab65bdc02c5b3123eb3cdf6dac01742438517d8635d4f233913b2be1c70db3b6", 102576419},
    {"resnet50-v1-12-int8", "validated/vision/classification/resnet/model/resnet50-v1-12-int8.onnx",
     "c234f30975989788b4405f25253275aae247ab6dbdd34aaa69ab0a59ff76f6d0", 25816052},
    {"resnet50-v1-12-qdq", "validated/vision/classification/resnet/model/resnet50-v1-12-qdq.onnx",
     "e6429d274805654c79ba68dc886c1efd4eff95393e747c35d3fdab579febd8a0", 25753167},
    {"resnet18-v1-7", "vision/classification/resnet/model/resnet18-v1-7.onnx",
     "4e8f8653e7a2222b3904cc3fe8e304cd8b339ce1d05fd24688162f86fb6df52c", 46820737},
    {"resnet18-v2-7", "validated/vision/classification/resnet/model/resnet18-v2-7.onnx",
     "3b4d048057854022232aa20bf68262e31718ab7119a17f920b8a2dc1433f824b", 46806737},
    {"resnet152-v1-7", "validated/vision/classification/resnet/model/resnet152-v1-7.onnx",
     "b0ec92437bf8c9d0739bf9bafdea9638e13f9e3c1e2fb766ad546cc182fd3f6d", 241816206},
    {"mobilenetv2-7", "vision/classification/mobilenet/model/mobilenetv2-7.onnx",
     "c1c513582d56afceff8516c73804e484c81c6a830712ab6d682253f4a3cd042f", 14246826},
    {"mobilenetv2-12-int8", "validated/vision/classification/mobilenet/model/mobilenetv2-12-int8.onnx",
     "83530ad811bc31d2b60a5599a21265a5057608c9b044b4ee758cc22f2309f54f", 3655640},
};

std::string cache_dir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME")) return (fs::path(x) / "inr").string();
  if (const char* h = std::getenv("HOME")) return (fs::path(h) / ".cache" / "inr").string();
  return "/tmp/inr-cache";
}

Status verify(const ZooModel& m, const std::string& path) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec) return error("{}: {}", path, ec.message());
  if (static_cast<int64_t>(size) != m.size)
    return error("{}: {} bytes, expected {} for {}", path, size, m.size, m.name);
  INR_ASSIGN_OR_RETURN(std::string sha, sha256_file(path));
  if (sha != m.sha256) return error("{}: sha256 {} does not match {} for {}", path, sha, m.sha256, m.name);
  return Status::ok();
}

Result<std::string> fetch(const ZooModel& m, const std::string& mirror) {
  std::string file = fs::path(m.path).filename().string();
  if (!mirror.empty()) {
    for (const fs::path& p : {fs::path(mirror) / file, fs::path(mirror) / "models" / file}) {
      if (fs::exists(p)) {
        INR_TRY(verify(m, p.string()));
        return p.string();
      }
    }
    return error("{} not found in mirror directory {}", file, mirror);
  }
  fs::path cached = fs::path(cache_dir()) / file;
  if (fs::exists(cached) && verify(m, cached.string())) return cached.string();
  std::error_code ec;
  fs::create_directories(cached.parent_path(), ec);
  if (ec) return error("{}: cannot create cache directory: {}", cached.parent_path().string(), ec.message());
  std::string tmp = cached.string() + ".part";
  std::string url = std::string(kZooBase) + m.path;
  std::string cmd = "curl -fsSL --retry 2 --connect-timeout 15 -o '" + tmp + "' '" + url + "' 2>/dev/null";
  int rc = std::system(cmd.c_str());
  if (rc != 0) {
    fs::remove(tmp, ec);
    return error("cannot download {} (offline? curl exit {}); put {} in a mirror directory and pass --model-dir or "
                 "set INR_MODEL_DIR",
                 url, WIFEXITED(rc) ? WEXITSTATUS(rc) : rc, file);
  }
  Status s = verify(m, tmp);
  if (!s) {
    fs::remove(tmp, ec);
    return s;
  }
  fs::rename(tmp, cached, ec);
  if (ec) return error("{}: {}", cached.string(), ec.message());
  return cached.string();
}

}  // namespace

Command make_fetch_command(CLI::App& parent) {
  struct Flags {
    std::string name, model_dir;
    bool list = false;
  };
  auto f = std::make_shared<Flags>();
  Command c;
  c.app = parent.add_subcommand("fetch", "Fetch an official ONNX Model Zoo model (sha256-verified) and print its path");
  c.app->add_option("name", f->name, "Model name (see --list)");
  c.app->add_option("--model-dir", f->model_dir, "Mirror directory to use instead of the network ($INR_MODEL_DIR)");
  c.app->add_flag("--list", f->list, "List the known models");
  c.run = [f] {
    if (f->list || f->name.empty()) {
      for (const ZooModel& m : kZoo) std::printf("%-22s %10ld bytes  %s%s\n", m.name, static_cast<long>(m.size), kZooBase, m.path);
      return f->list ? 0 : fail(error("name a model to fetch (see inr fetch --list)"));
    }
    std::string mirror = f->model_dir;
    if (mirror.empty())
      if (const char* d = std::getenv("INR_MODEL_DIR")) mirror = d;
    for (const ZooModel& m : kZoo) {
      if (f->name != m.name) continue;
      auto path = fetch(m, mirror);
      if (!path) return fail(path.status());
      std::printf("%s\n", path->c_str());
      return 0;
    }
    return fail(error("unknown model '{}' (see inr fetch --list)", f->name));
  };
  return c;
}

}  // namespace inr::cli
