// Gemm: Y = alpha * A' * B' + beta * C, A' = transA ? A^T : A (M x K), B' = transB ? B^T : B (K x N),
// C optional (opset 11+) and unidirectionally broadcastable to [M, N].
// ONNX spec: https://onnx.ai/onnx/operators/onnx__Gemm.html (opsets 7, 9, 11, 13).
#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
constexpr float kDefaultAlpha = 1.f;  // ONNX defaults
constexpr float kDefaultBeta = 1.f;

struct GemmDims {
  int64_t m, k, n;
};

GemmDims dims(const Node& node, const Shape& a, const Shape& b) {
  bool ta = node.attr_int("transA", 0) != 0, tb = node.attr_int("transB", 0) != 0;
  return {ta ? a[1] : a[0], ta ? a[0] : a[1], tb ? b[0] : b[1]};
}

// C must broadcast to [M, N] without C growing the output (unidirectional).
Status check_c(const Shape& c, int64_t m, int64_t n) {
  if (c.size() > 2) return error("C rank {}, expected <= 2", c.size());
  Shape out{m, n};
  for (size_t k = 0; k < c.size(); ++k) {
    int64_t dc = c[c.size() - 1 - k], dout = out[1 - k];
    if (dc != 1 && dc != dout) return error("C shape {} does not broadcast to [{},{}]", shape_str(c), m, n);
  }
  return Status::ok();
}

Status infer(Node& node) {
  const Value* a = node.inputs[0];
  const Value* b = node.inputs[1];
  INR_TRY(expect_dtype(a, {DType::kF32}, "input A"));
  INR_TRY(expect_dtype(b, {DType::kF32}, "input B"));
  INR_TRY(expect_rank(a, 2, "input A"));
  INR_TRY(expect_rank(b, 2, "input B"));
  bool ta = node.attr_int("transA", 0) != 0, tb = node.attr_int("transB", 0) != 0;
  int64_t kb = tb ? b->shape[1] : b->shape[0];
  GemmDims d = dims(node, a->shape, b->shape);
  if (d.k != kb)
    return error("inner dims differ: A{} {} vs B{} {} ({} vs {})", ta ? "^T" : "", shape_str(a->shape), tb ? "^T" : "",
                 shape_str(b->shape), d.k, kb);
  if (const Value* c = node.input(2)) {
    INR_TRY(expect_dtype(c, {DType::kF32}, "input C"));
    INR_TRY(check_c(c->shape, d.m, d.n));
  }
  set_output(node, 0, DType::kF32, {d.m, d.n});
  return Status::ok();
}

Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  bool ta = node.attr_int("transA", 0) != 0, tb = node.attr_int("transB", 0) != 0;
  double alpha = node.attr_float("alpha", kDefaultAlpha), beta = node.attr_float("beta", kDefaultBeta);
  GemmDims d = dims(node, in[0].shape(), in[1].shape());
  const float* a = in[0].data<float>();
  const float* b = in[1].data<float>();
  // Element (i, j) of A' and B' through strides, so transposition costs nothing.
  int64_t a_si = ta ? 1 : d.k, a_sk = ta ? d.m : 1;
  int64_t b_sk = tb ? 1 : d.n, b_sj = tb ? d.k : 1;
  const Tensor* c = in.size() > 2 && in[2].defined() ? &in[2] : nullptr;
  std::vector<int64_t> c_strides = c ? broadcast_strides(c->shape(), 2) : std::vector<int64_t>{0, 0};
  float* y = out[0].data<float>();
  for (int64_t i = 0; i < d.m; ++i)
    for (int64_t j = 0; j < d.n; ++j) {
      double acc = 0;  // double accumulation: the reference favours accuracy
      for (int64_t k = 0; k < d.k; ++k) acc += static_cast<double>(a[i * a_si + k * a_sk]) * b[k * b_sk + j * b_sj];
      double v = alpha * acc;
      if (c) v += beta * c->data<float>()[i * c_strides[0] + j * c_strides[1]];
      y[i * d.n + j] = static_cast<float>(v);
    }
  return Status::ok();
}
}  // namespace

const OpSchema& schema_gemm() {
  static const OpSchema s{Op::kGemm, 2, 3, 1, 1, infer, run};
  return s;
}

}  // namespace inr
