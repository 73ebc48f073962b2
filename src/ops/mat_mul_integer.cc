// MatMulInteger: y = matmul(a - a_zero_point, b - b_zero_point) in int32, numpy matmul broadcasting.
// ONNX spec: https://onnx.ai/onnx/operators/onnx__MatMulInteger.html (opset 10). a, b u8/s8; a_zero_point a
// scalar or one per row of a (1-D [M]); b_zero_point a scalar or one per column of b (1-D [N]).
#include "ops/op_schema.h"
#include "ops/quant_util.h"

namespace inr {

namespace {
Status run(const Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  INR_ASSIGN_OR_RETURN(MatMulDims d, matmul_dims(in[0].shape(), in[1].shape()));
  std::vector<int32_t> a_zp = read_zero_points(in.size() > 2 ? in[2] : Tensor());
  std::vector<int32_t> b_zp = read_zero_points(in.size() > 3 ? in[3] : Tensor());
  IntMatMul mm{d.m, d.k, d.n};
  int32_t* y = out[0].data<int32_t>();
  for (int64_t bi = 0; bi < d.batch; ++bi)
    matmul_int32(mm, in[0], d.a_offset[bi], a_zp, in[1], d.b_offset[bi], b_zp, y + bi * d.m * d.n, false);
  return Status::ok();
}

Status infer(Node& node) {
  const Value* a = node.inputs[0];
  const Value* b = node.inputs[1];
  INR_TRY(expect_dtype(a, {DType::kU8, DType::kI8}, "input A"));
  INR_TRY(expect_dtype(b, {DType::kU8, DType::kI8}, "input B"));
  INR_TRY(expect_zp_dtype(node.input(2), a->dtype, "a_zero_point"));
  INR_TRY(expect_zp_dtype(node.input(3), b->dtype, "b_zero_point"));
  INR_ASSIGN_OR_RETURN(MatMulDims d, matmul_dims(a->shape, b->shape));
  INR_TRY(expect_qparam_shape(node.input(2), d.m, "a_zero_point"));
  INR_TRY(expect_qparam_shape(node.input(3), d.n, "b_zero_point"));
  set_output(node, 0, DType::kI32, d.out);
  return Status::ok();
}
}  // namespace

const OpSchema& schema_mat_mul_integer() {
  static const OpSchema s{Op::kMatMulInteger, 2, 4, 1, 1, infer, run};
  return s;
}

}  // namespace inr
