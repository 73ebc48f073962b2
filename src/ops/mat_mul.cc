// MatMul: numpy matmul. Operands of rank >= 2 are stacks of matrices whose batch dims broadcast; a 1-D
// first operand is promoted to [1, K] and a 1-D second operand to [K, 1], and the promoted dim is removed
// from the result. ONNX spec: https://onnx.ai/onnx/operators/onnx__MatMul.html (opsets 9, 13).
#include <algorithm>

#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
struct MatMulShape {
  Shape batch;         // broadcast batch dims
  Shape a_batch, b_batch;  // each operand's own batch dims
  int64_t m = 0, k = 0, n = 0;
  Shape out;
};

Result<MatMulShape> matmul_shape(const Shape& a, const Shape& b) {
  if (a.empty() || b.empty()) return error("MatMul operands must have rank >= 1 (got {} and {})", shape_str(a), shape_str(b));
  MatMulShape s;
  Shape a2 = a.size() == 1 ? Shape{1, a[0]} : a;
  Shape b2 = b.size() == 1 ? Shape{b[0], 1} : b;
  s.m = a2[a2.size() - 2];
  s.k = a2[a2.size() - 1];
  s.n = b2[b2.size() - 1];
  if (b2[b2.size() - 2] != s.k)
    return error("inner dims differ: A {} has K={}, B {} has K={}", shape_str(a), s.k, shape_str(b), b2[b2.size() - 2]);
  s.a_batch.assign(a2.begin(), a2.end() - 2);
  s.b_batch.assign(b2.begin(), b2.end() - 2);
  INR_ASSIGN_OR_RETURN(s.batch, broadcast_shapes(s.a_batch, s.b_batch));
  s.out = s.batch;
  if (a.size() > 1) s.out.push_back(s.m);
  if (b.size() > 1) s.out.push_back(s.n);
  return s;
}

Status infer(Node& node) {
  const Value* a = node.inputs[0];
  const Value* b = node.inputs[1];
  INR_TRY(expect_dtype(a, {DType::kF32}, "input A"));
  INR_TRY(expect_dtype(b, {DType::kF32}, "input B"));
  INR_ASSIGN_OR_RETURN(MatMulShape s, matmul_shape(a->shape, b->shape));
  set_output(node, 0, DType::kF32, s.out);
  return Status::ok();
}

Status run(const Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  INR_ASSIGN_OR_RETURN(MatMulShape s, matmul_shape(in[0].shape(), in[1].shape()));
  size_t r = s.batch.size();
  std::vector<int64_t> sa = broadcast_strides(s.a_batch, r), sb = broadcast_strides(s.b_batch, r);
  int64_t batches = shape_numel(s.batch);
  int64_t a_mat = s.m * s.k, b_mat = s.k * s.n, y_mat = s.m * s.n;
  const float* a = in[0].data<float>();
  const float* b = in[1].data<float>();
  float* y = out[0].data<float>();
  std::vector<int64_t> idx(r, 0);
  std::vector<double> acc(static_cast<size_t>(s.n));
  for (int64_t bi = 0; bi < batches; ++bi) {
    int64_t ao = 0, bo = 0;
    for (size_t d = 0; d < r; ++d) {
      ao += idx[d] * sa[d];
      bo += idx[d] * sb[d];
    }
    const float* ap = a + ao * a_mat;
    const float* bp = b + bo * b_mat;
    float* yp = y + bi * y_mat;
    for (int64_t i = 0; i < s.m; ++i) {
      std::fill(acc.begin(), acc.end(), 0.0);  // double accumulation: the reference favours accuracy
      for (int64_t k = 0; k < s.k; ++k) {
        double av = ap[i * s.k + k];
        const float* brow = bp + k * s.n;
        for (int64_t j = 0; j < s.n; ++j) acc[j] += av * brow[j];
      }
      for (int64_t j = 0; j < s.n; ++j) yp[i * s.n + j] = static_cast<float>(acc[j]);
    }
    for (size_t d = r; d-- > 0;) {
      if (++idx[d] < s.batch[d]) break;
      idx[d] = 0;
    }
  }
  return Status::ok();
}
}  // namespace

const OpSchema& schema_mat_mul() {
  static const OpSchema s{Op::kMatMul, 2, 2, 1, 1, infer, run};
  return s;
}

}  // namespace inr
