// consumer MODEL.onnx: loads the model through the public Session API, runs it on zeros (dynamic dims set to
// 1) and prints each output's name, dtype and shape, and for a float output its three largest entries.
#include <inr/session.h>

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: consumer MODEL.onnx\n");
    return 2;
  }
  inr::SessionOptions options;
  options.threads = 1;
  auto session = inr::Session::load(argv[1], options);
  if (!session) {
    std::fprintf(stderr, "consumer: %s\n", session.status().message().c_str());
    return 1;
  }
  std::vector<inr::Tensor> inputs;
  for (const inr::IoInfo& in : (*session)->inputs()) {
    inr::Shape shape = in.shape;
    for (int64_t& d : shape) d = d < 0 ? 1 : d;
    inputs.push_back(inr::Tensor::zeros(in.dtype, shape));
  }
  auto outputs = (*session)->run(inputs);
  if (!outputs) {
    std::fprintf(stderr, "consumer: %s\n", outputs.status().message().c_str());
    return 1;
  }
  for (size_t i = 0; i < outputs->size(); ++i) {
    const inr::Tensor& t = (*outputs)[i];
    std::printf("output %s %s%s", (*session)->outputs()[i].name.c_str(),
                std::string(inr::dtype_name(t.dtype())).c_str(), inr::shape_str(t.shape()).c_str());
    if (t.dtype() == inr::DType::kF32 && t.numel() >= 3) {
      std::span<const float> v = t.span<float>();
      std::vector<size_t> order(v.size());
      std::iota(order.begin(), order.end(), size_t{0});
      std::partial_sort(order.begin(), order.begin() + 3, order.end(), [&](size_t a, size_t b) { return v[a] > v[b]; });
      std::printf(" top3 %zu %zu %zu", order[0], order[1], order[2]);
    }
    std::printf("\n");
  }
  return 0;
}
