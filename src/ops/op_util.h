// Helpers shared by op files (and by backends, which may include ops/ but not the reverse).
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <span>
#include <vector>

#include "ir/graph.h"

namespace inr {

// Sets output i's dtype and shape.
void set_output(Node& node, size_t i, DType dtype, Shape shape);

// Error unless v's dtype is one of `allowed`. `what` names the input ("input X", "weight").
Status expect_dtype(const Value* v, std::initializer_list<DType> allowed, std::string_view what);
Status expect_rank(const Value* v, int64_t rank, std::string_view what);

// Axis in [-rank, rank) -> [0, rank); error otherwise.
Result<int64_t> normalize_axis(int64_t axis, int64_t rank);
// An axis that must name an existing dim ([-rank, rank-1]; a scalar has none), for ops that index the shape by
// it (Squeeze, the reductions). normalize_axis lets a scalar take axis 0.
Result<int64_t> existing_axis(int64_t axis, int64_t rank);

// Constant int64/int32 input as a vector, error if not constant.
Result<std::vector<int64_t>> constant_ints(const Value* v, std::string_view what);
// Constant float input (f32/f16/f64) read as float scalars.
Result<std::vector<float>> constant_floats(const Value* v, std::string_view what);

// Numpy-style multidirectional broadcast of two shapes.
Result<Shape> broadcast_shapes(const Shape& a, const Shape& b);

// Row-major strides of `shape` as seen from an output of rank `out_rank` under broadcasting:
// size-1 (or missing leading) dims get stride 0.
std::vector<int64_t> broadcast_strides(const Shape& shape, size_t out_rank);

// Calls f(out_index, a_index, b_index) for every element of `out` under broadcasting.
void for_each_broadcast(const Shape& out, const Shape& a, const Shape& b,
                        const std::function<void(int64_t, int64_t, int64_t)>& f);

// Geometry of a sliding window op (Conv, pools) over the spatial dims of an NC... input.
struct WindowGeometry {
  std::vector<int64_t> in, kernel, stride, dilation, pad_begin, pad_end, out;
  size_t rank() const { return in.size(); }
};
// Resolves auto_pad / pads / strides / dilations with ONNX defaults. `ceil_mode` as in pooling ops.
Result<WindowGeometry> window_geometry(const Node& node, const Shape& x, const std::vector<int64_t>& kernel,
                                       bool ceil_mode);

}  // namespace inr

namespace inr {
// infer for ops whose single output has input 0's dtype and shape, restricted to `allowed` dtypes.
Status infer_unary_float(Node& node);
}  // namespace inr

namespace inr {

// Default ai.onnx opset for nodes that were not stamped with "_opset" by the importer (graphs built by
// hand in tests and passes): the opset where most of the ops' current semantics begin.
constexpr int64_t kDefaultOpset = 13;
// The ai.onnx opset a node follows: the importer stamps a private int attribute "_opset" on every node.
int64_t node_opset(const Node& node);

// Opsets 1..6 broadcast B against A from an `axis` (Add-6 and the other arithmetic/comparison ops): true
// while such a node still carries `broadcast`/`axis`, which passes/legacy_broadcast.cc turns into numpy
// broadcasting once shapes are known.
bool legacy_broadcast_pending(const Node& node);

// Element count up to which integer outputs of all-constant nodes are computed during infer
// (shape arithmetic: Shape -> Gather -> Concat -> Reshape). Larger or float tensors are left to the
// constant-folding pass.
constexpr int64_t kMaxInferFoldElements = 4096;

using RunFn = Status (*)(const Node&, std::span<const Tensor>, std::span<Tensor>);
// When every present input is a constant and every output is a small integer (or bool) tensor, runs `run` now and
// stores the results as the outputs' constants, so shape computations are known before run time.
Status fold_int_constants(Node& node, RunFn run);

// Calls f(T{}) with the C++ type of `t` (numeric types with one element per byte group; not i4/u4/bool).
template <typename F>
Status visit_numeric(DType t, F&& f) {
  switch (t) {
    case DType::kF32: f(float{}); return Status::ok();
    case DType::kF64: f(double{}); return Status::ok();
    case DType::kI8: f(int8_t{}); return Status::ok();
    case DType::kU8: f(uint8_t{}); return Status::ok();
    case DType::kI16: f(int16_t{}); return Status::ok();
    case DType::kU16: f(uint16_t{}); return Status::ok();
    case DType::kI32: f(int32_t{}); return Status::ok();
    case DType::kI64: f(int64_t{}); return Status::ok();
    default: return error("unsupported dtype {}", dtype_name(t));
  }
}

// Error unless input i (present) has rank 0 or exactly one element.
Status expect_scalar(const Value* v, std::string_view what);

// Product of dims [begin, end).
int64_t dims_product(const Shape& s, size_t begin, size_t end);

}  // namespace inr

namespace inr {
// Error unless v's dtype has whole-byte elements (data movement ops copy bytes: every dtype but i4/u4).
Status expect_byte_dtype(const Value* v, std::string_view what);
// Reads a constant optional axes input (int64) or, for older opsets, the "axes" attribute.
Result<std::vector<int64_t>> axes_from_input_or_attr(const Node& node, size_t input_index, int64_t opset_input);
}  // namespace inr

namespace inr {
// out = in, byte for byte (the kernel of Identity, Reshape, Flatten, Squeeze, Unsqueeze, Dropout).
Status copy_input0(const Node& node, std::span<const Tensor> in, std::span<Tensor> out);
}  // namespace inr
