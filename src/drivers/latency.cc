#include "drivers/latency.h"

#include <chrono>
#include <random>

#include "drivers/eval_pipeline.h"

namespace inr {

Tensor random_input(const IoInfo& info, const Shape& shape, uint32_t seed) {
  Tensor t = Tensor::zeros(info.dtype, shape);
  std::mt19937 rng(seed);
  if (info.dtype == DType::kF32) {
    std::normal_distribution<float> d(0.f, 1.f);
    for (float& v : t.span<float>()) v = d(rng);
  } else if (info.dtype == DType::kU8 || info.dtype == DType::kI8) {
    std::uniform_int_distribution<int> d(0, 255);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<uint8_t>()[i] = static_cast<uint8_t>(d(rng));
  }
  return t;
}

Result<std::vector<LatencyStats>> round_robin_latency(std::span<Session* const> sessions, int64_t batch, int rounds,
                                                      int warmup, uint32_t seed) {
  const size_t n = sessions.size();
  std::vector<std::vector<Tensor>> ins(n), outs(n);
  for (size_t m = 0; m < n; ++m) {
    Session& s = *sessions[m];
    for (size_t i = 0; i < s.inputs().size(); ++i) {
      INR_ASSIGN_OR_RETURN(Shape shape, batch_input_shape(s.inputs()[i], batch));
      ins[m].push_back(random_input(s.inputs()[i], shape, seed + static_cast<uint32_t>(i)));
    }
    // The first run specialises the graph for these shapes and allocates the outputs once.
    INR_ASSIGN_OR_RETURN(outs[m], s.run(ins[m]));
  }
  for (int r = 0; r < warmup; ++r)
    for (size_t m = 0; m < n; ++m) INR_TRY(sessions[m]->run_into(ins[m], outs[m]));
  std::vector<std::vector<double>> ms(n);
  for (int r = 0; r < rounds; ++r)
    for (size_t m = 0; m < n; ++m) {
      auto t0 = std::chrono::steady_clock::now();
      Status st = sessions[m]->run_into(ins[m], outs[m]);
      auto t1 = std::chrono::steady_clock::now();
      if (!st) return st;
      ms[m].push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
  std::vector<LatencyStats> out(n);
  for (size_t m = 0; m < n; ++m) {
    out[m].batch = batch;
    out[m].runs = rounds;
    if (rounds > 0) out[m].stats = sample_stats(ms[m]);
  }
  return out;
}

}  // namespace inr
