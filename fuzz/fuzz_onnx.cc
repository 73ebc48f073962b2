// libFuzzer target for ONNX import and session compile: parse the bytes as a ModelProto, import it (checked
// sizes, opsets, attributes, initializers), build a reference-backend session and, when every input has a small
// static shape, compile a plan and run it once on zeros (shape inference, constant folding, passes, reference
// kernels). Any input must give a result or a Status: never a crash, a sanitizer report or a huge allocation.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "inr/session.h"
#include "onnx/onnx_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  auto graph = inr::import_onnx_bytes(bytes, "");
  if (!graph) return 0;
  inr::SessionOptions options;
  options.backend = "reference";
  options.threads = 1;
  auto session = inr::Session::create(std::move(*graph), options);
  if (!session) return 0;
  // Run only small, fully static inputs (symbolic dims become 1): the point is parsing and planning, and a
  // legitimately large model would only slow the fuzzer down.
  std::vector<inr::Tensor> inputs;
  int64_t total = 0;
  for (const inr::IoInfo& in : (*session)->inputs()) {
    inr::Shape shape = in.shape;
    for (int64_t& d : shape) d = d < 0 ? 1 : d;
    const int64_t n = inr::shape_numel(shape);
    if (shape.size() > 6 || n < 0 || n > (1 << 14) || in.dtype == inr::DType::kUndefined) return 0;
    total += n;
    inputs.push_back(inr::Tensor::zeros(in.dtype, shape));
  }
  if (total > (1 << 16)) return 0;
  (void)(*session)->run(inputs);
  return 0;
}
