// Preprocessing speed, one thread: decode + resize + center crop + normalise of one JPEG into an f32 NCHW
// tensor with the `torchvision` preset (bit-exact with PIL + torchvision). The peer (Pillow + the same
// transforms) is bench/preprocess_pillow.py; bench/preprocess_vs_pillow.sh runs both and prints the ratio.
//
//   preprocess_bench [--image=PATH] [google-benchmark flags]
// Default image: imagenet/samples/n01440764_tench.JPEG (500x375, 4:2:0) from $INR_DATA_DIR or
// ../shared/data beside the checkout.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/file.h"
#include "image/batch_loader.h"
#include "image/preprocess.h"

namespace {

std::string g_image;

std::string default_image() {
  std::string dir = std::getenv("INR_DATA_DIR") ? std::getenv("INR_DATA_DIR") : INR_SOURCE_DIR "/../shared/data";
  return dir + "/imagenet/samples/n01440764_tench.JPEG";
}

const std::string& image_bytes() {
  static std::string bytes = [] {
    auto r = inr::read_file(g_image);
    if (!r) {
      std::fprintf(stderr, "preprocess_bench: %s\n", r.status().message().c_str());
      std::exit(1);
    }
    return *r;
  }();
  return bytes;
}

void run_preset(benchmark::State& state, const char* preset) {
  const std::string& data = image_bytes();
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  inr::image::PreprocessSpec spec = inr::image::preset_spec(preset).value();
  inr::image::Preprocessor pre(spec);
  std::vector<float> out(static_cast<size_t>(inr::shape_numel(inr::image::output_shape(spec))));
  for (auto _ : state) {
    inr::Status s = pre.run(bytes, g_image, out.data(), out.size() * sizeof(float));
    if (!s) state.SkipWithError(s.message().c_str());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}

// The target: decode + resize + crop + normalise from an in-memory JPEG, one thread.
void BM_Preprocess_Torchvision(benchmark::State& state) { run_preset(state, "torchvision"); }
BENCHMARK(BM_Preprocess_Torchvision)->Unit(benchmark::kMicrosecond);

// Same, including reading the file (page cache), as `inr eval` does.
void BM_Preprocess_Torchvision_File(benchmark::State& state) {
  inr::image::Preprocessor pre(inr::image::preset_spec("torchvision").value());
  std::vector<float> out(3 * 224 * 224);
  for (auto _ : state) {
    inr::Status s = pre.run_file(g_image, out.data(), out.size() * sizeof(float));
    if (!s) state.SkipWithError(s.message().c_str());
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_Preprocess_Torchvision_File)->Unit(benchmark::kMicrosecond);

// OpenCV-linear resize path (caffe2 preset) for comparison.
void BM_Preprocess_Caffe2(benchmark::State& state) { run_preset(state, "caffe2"); }
BENCHMARK(BM_Preprocess_Caffe2)->Unit(benchmark::kMicrosecond);

// Full decode only (no region skipping), to show what the fused pipeline saves.
void BM_DecodeFull(benchmark::State& state) {
  const std::string& data = image_bytes();
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  inr::image::Image img;
  for (auto _ : state) {
    inr::Status s = inr::image::decode_memory_into(bytes, {}, g_image, img);
    if (!s) state.SkipWithError(s.message().c_str());
    benchmark::DoNotOptimize(img.pixels.data());
  }
}
BENCHMARK(BM_DecodeFull)->Unit(benchmark::kMicrosecond);

// Batch of 32 copies of the image through BatchLoader with 2 threads (throughput per image).
void BM_BatchLoader32(benchmark::State& state) {
  std::vector<std::string> paths(32, g_image);
  inr::image::BatchLoader loader(inr::image::preset_spec("torchvision").value(), {}, static_cast<int>(state.range(0)));
  std::vector<float> out(32 * 3 * 224 * 224);
  std::vector<inr::image::BatchFailure> failures;
  for (auto _ : state) {
    inr::Status s = loader.load(paths, out.data(), out.size() * sizeof(float), failures);
    if (!s || !failures.empty()) state.SkipWithError("batch failed");
  }
  state.SetItemsProcessed(state.iterations() * 32);
}
BENCHMARK(BM_BatchLoader32)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  g_image = default_image();
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--image=", 8) == 0) {
      g_image = argv[i] + 8;
    } else {
      rest.push_back(argv[i]);
    }
  }
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
