// `inr classify -m MODEL -i IMAGE|LIST.txt [-p PRESET] [-k 5] [--labels FILE] [--json]`
// Prints the top-k classes (index, label, probability; softmax applied when the output is not already a
// probability vector) and the inference time per image.
#include <chrono>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "command.h"
#include "data/labels.h"
#include "preprocess_flags.h"
#include "session_flags.h"

namespace inr::cli {

namespace fs = std::filesystem;

namespace {

// IMAGE, or a .txt list of images (one per line, relative to the list's folder; '#' comments).
Result<std::vector<std::string>> expand_images(const std::string& arg) {
  if (fs::path(arg).extension() != ".txt") return std::vector<std::string>{arg};
  std::ifstream in(arg);
  if (!in) return error("{}: cannot open image list", arg);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    fs::path p(line);
    out.push_back(p.is_absolute() ? line : (fs::path(arg).parent_path() / p).string());
  }
  if (out.empty()) return error("{}: no images listed", arg);
  return out;
}

}  // namespace

Command make_classify_command(CLI::App& parent) {
  struct Flags {
    SessionFlags session;
    PreprocessFlags pre;
    std::string image, labels;
    int k = 5;
    int repeat = 1;
    bool json = false;
  };
  auto f = std::make_shared<Flags>();
  Command c;
  c.app = parent.add_subcommand("classify", "Classify images: top-k labels and inference time");
  add_session_flags(c.app, f->session);
  add_preprocess_flags(c.app, f->pre);
  c.app->add_option("-i,--image", f->image, "Image file, or a .txt list of image files")->required();
  c.app->add_option("-k,--top", f->k, "How many classes to print")->check(CLI::PositiveNumber);
  c.app->add_option("--labels", f->labels, "Labels file (default: imagenet_classes.txt in the data directory)");
  c.app->add_option("-r,--repeat", f->repeat, "Run each image this many times; the time printed is the median")
      ->check(CLI::PositiveNumber);
  c.app->add_flag("--json", f->json, "One JSON object per image");
  c.run = [f] {
    auto images = expand_images(f->image);
    if (!images) return fail(images.status());
    auto spec = resolve(f->pre);
    if (!spec) return fail(spec.status());
    data::Labels labels;
    std::string labels_path = f->labels;
    if (labels_path.empty()) {
      std::string d = default_data_dir();
      if (!d.empty() && fs::exists(fs::path(d) / "labels" / "imagenet_classes.txt"))
        labels_path = (fs::path(d) / "labels" / "imagenet_classes.txt").string();
    }
    if (!labels_path.empty()) {
      auto l = data::load_labels(labels_path);
      if (!l) return fail(l.status());
      labels = std::move(*l);
    }
    Profiler profiler;
    auto session = open_session(f->session, &profiler);
    if (!session) return fail(session.status());
    Session& s = **session;
    if (s.inputs().size() != 1) return fail(error("classify needs a model with one input, this one has {}", s.inputs().size()));
    image::Preprocessor pre(*spec, decode_options(f->pre));
    Shape chw = image::output_shape(*spec);
    Shape nchw = {1};
    nchw.insert(nchw.end(), chw.begin(), chw.end());
    auto expected = batch_input_shape(s.inputs()[0], 1);
    if (!expected) return fail(expected.status());
    if (*expected != nchw)
      return fail(error("preprocessing gives {} but the model input '{}' is {}", shape_str(nchw), s.inputs()[0].name,
                        shape_str(*expected)));
    Tensor input = Tensor::empty(image::output_dtype(*spec), nchw);
    if (input.dtype() != s.inputs()[0].dtype)
      return fail(error("preprocessing gives {} but the model input is {}", dtype_name(input.dtype()),
                        dtype_name(s.inputs()[0].dtype)));
    // Specialise and compile for this shape now, so the time printed per image is inference only.
    auto compiled = s.output_shapes(std::span<const Shape>(&nchw, 1));
    if (!compiled) return fail(compiled.status());
    int failures = 0;
    std::vector<float> probs;
    for (const std::string& path : *images) {
      Status st = pre.run_file(path, input.raw(), input.bytes());
      if (!st) {
        fail(st);
        ++failures;
        continue;
      }
      std::vector<double> times;
      Result<std::vector<Tensor>> out = Status::error("not run");
      for (int r = 0; r < f->repeat; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        out = s.run(std::span<const Tensor>(&input, 1));
        auto t1 = std::chrono::steady_clock::now();
        if (!out) return fail(out.status());
        times.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      }
      std::sort(times.begin(), times.end());
      double ms = times[times.size() / 2];
      const Tensor& y = (*out)[0];
      if (y.dtype() != DType::kF32) return fail(error("output '{}' is {}, expected f32 scores", s.outputs()[0].name, dtype_name(y.dtype())));
      std::span<const float> scores = y.span<float>();
      probs.assign(scores.begin(), scores.end());
      if (!data::is_probability_vector(scores)) data::softmax(scores, probs);
      std::vector<int> top = data::top_k(probs, f->k);
      if (f->json) {
        nlohmann::json j = {{"image", path}, {"ms", ms}};
        j["top"] = nlohmann::json::array();
        for (int idx : top) j["top"].push_back({{"index", idx}, {"label", labels.name(idx)}, {"score", probs[idx]}});
        std::printf("%s\n", j.dump().c_str());
      } else {
        std::printf("%s  (%.2f ms)\n", path.c_str(), ms);
        for (int idx : top) std::printf("  %4d  %-40s %7.4f\n", idx, labels.name(idx).c_str(), probs[idx]);
      }
    }
    Status st = finish_trace(f->session, profiler);
    if (!st) return fail(st);
    return failures ? 1 : 0;
  };
  return c;
}

}  // namespace inr::cli
