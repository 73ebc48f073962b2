// QLinearMatMul: matmul of quantized tensors with a requantised output, numpy matmul broadcasting.
// ONNX spec: https://onnx.ai/onnx/operators/onnx__QLinearMatMul.html (opsets 10, 21). Inputs a, a_scale,
// a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point; a/b/y u8 or s8; b_scale and b_zero_point
// per tensor or per column of b (1-D [N], as ONNX Runtime accepts).
//
// Arithmetic (bit-exact with ONNX Runtime, quantize_linear_matmul.cc): acc = sum (a - a_zp)(b - b_zp[j]) in
// int32; y = saturate(round_half_even(float(acc) * scale[j]) + y_zp), scale[j] = a_scale * b_scale[j] / y_scale
// in float32 left to right.
#include "ops/op_schema.h"
#include "ops/quant_util.h"

namespace inr {

namespace {
Status run(const Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  INR_ASSIGN_OR_RETURN(MatMulDims d, matmul_dims(in[0].shape(), in[3].shape()));
  QParams aq = read_qparams(in[1], in[2]);
  QParams bq = read_qparams(in[4], in[5]);
  QParams yq = read_qparams(in[6], in[7]);
  std::vector<float> scale(static_cast<size_t>(d.n));
  for (int64_t j = 0; j < d.n; ++j) scale[static_cast<size_t>(j)] = aq.scale_at(0) * bq.scale_at(bq.scale.size() == 1 ? 0 : j) / yq.scale_at(0);
  Tensor& y = out[0];
  QRange r = qrange(y.dtype());
  int32_t y_zp = yq.zp_at(0);
  std::vector<int32_t> acc(static_cast<size_t>(d.m * d.n));
  IntMatMul mm{d.m, d.k, d.n};
  for (int64_t bi = 0; bi < d.batch; ++bi) {
    matmul_int32(mm, in[0], d.a_offset[bi], aq.zero_point, in[3], d.b_offset[bi], bq.zero_point, acc.data(), false);
    for (int64_t i = 0; i < d.m; ++i)
      for (int64_t j = 0; j < d.n; ++j) {
        int32_t q = quantize_value(static_cast<float>(acc[static_cast<size_t>(i * d.n + j)]) * scale[static_cast<size_t>(j)], y_zp, r);
        store_qint(y, (bi * d.m + i) * d.n + j, q);
      }
  }
  return Status::ok();
}

Status infer(Node& node) {
  const Value* a = node.inputs[0];
  const Value* b = node.inputs[3];
  for (size_t i = 1; i < 8; ++i)
    if (node.input(i) == nullptr) return error("input {} is required", i);
  INR_TRY(expect_dtype(a, {DType::kU8, DType::kI8}, "input a"));
  INR_TRY(expect_dtype(b, {DType::kU8, DType::kI8}, "input b"));
  for (size_t i : {1, 4, 6}) INR_TRY(expect_scale_dtype(node.inputs[i], "scale"));
  INR_TRY(expect_zp_dtype(node.inputs[2], a->dtype, "a_zero_point"));
  INR_TRY(expect_zp_dtype(node.inputs[5], b->dtype, "b_zero_point"));
  INR_TRY(expect_dtype(node.inputs[7], {DType::kU8, DType::kI8}, "y_zero_point"));
  INR_ASSIGN_OR_RETURN(MatMulDims d, matmul_dims(a->shape, b->shape));
  INR_TRY(expect_qparam_shape(node.inputs[1], 0, "a_scale"));
  INR_TRY(expect_qparam_shape(node.inputs[2], 0, "a_zero_point"));
  INR_TRY(expect_qparam_shape(node.inputs[4], d.n, "b_scale"));
  INR_TRY(expect_qparam_shape(node.inputs[5], d.n, "b_zero_point"));
  INR_TRY(expect_qparam_shape(node.inputs[6], 0, "y_scale"));
  INR_TRY(expect_qparam_shape(node.inputs[7], 0, "y_zero_point"));
  set_output(node, 0, node.inputs[7]->dtype, d.out);
  return Status::ok();
}
}  // namespace

const OpSchema& schema_q_linear_mat_mul() {
  static const OpSchema s{Op::kQLinearMatMul, 8, 8, 1, 1, infer, run};
  return s;
}

}  // namespace inr
