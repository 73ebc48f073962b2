// Pad: pads (or, with negative pads, crops) each dim; modes constant (constant_value, default 0),
// reflect (mirror without repeating the edge) and edge (repeat the edge).
// ONNX spec: https://onnx.ai/onnx/operators/onnx__Pad.html (opsets 2, 11, 13, 18). pads/value are
// attributes before opset 11; from 11 pads is a (constant) int64 input [x1_begin, x2_begin, ...,
// x1_end, ...] and constant_value an optional scalar input; opset 18 adds the optional axes input.
#include <algorithm>

#include "core/tensor_size.h"
#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
constexpr int64_t kOpsetPadsInput = 11;
constexpr int64_t kOpsetAxesInput = 18;

enum class PadMode { kConstant, kReflect, kEdge };

struct PadSpec {
  PadMode mode = PadMode::kConstant;
  std::vector<int64_t> begin, end;  // per data dim
  Shape out;                         // the padded shape
};

Result<PadSpec> pad_spec(const Node& node, const Shape& x) {
  PadSpec p;
  std::string mode = node.attr_string("mode", "constant");
  if (mode == "constant") {
    p.mode = PadMode::kConstant;
  } else if (mode == "reflect") {
    p.mode = PadMode::kReflect;
  } else if (mode == "edge") {
    p.mode = PadMode::kEdge;
  } else {
    return error("mode '{}' is not supported (expected constant, reflect or edge)", mode);
  }
  size_t rank = x.size();
  std::vector<int64_t> pads;
  std::vector<int64_t> axes(rank);
  for (size_t d = 0; d < rank; ++d) axes[d] = static_cast<int64_t>(d);
  if (node_opset(node) < kOpsetPadsInput) {
    if (!node.has_attr("pads")) return error("attribute pads is required");
    pads = node.attr_ints("pads");
  } else {
    INR_ASSIGN_OR_RETURN(pads, constant_ints(node.input(1), "pads"));
    if (const Value* a = node.input(3)) {
      if (node_opset(node) < kOpsetAxesInput) return error("the axes input needs opset {}", kOpsetAxesInput);
      INR_ASSIGN_OR_RETURN(axes, constant_ints(a, "axes"));
    }
  }
  if (pads.size() != 2 * axes.size())
    return error("pads has {} values, expected 2 x {} axes", pads.size(), axes.size());
  p.begin.assign(rank, 0);
  p.end.assign(rank, 0);
  std::vector<bool> seen(rank, false);
  for (size_t i = 0; i < axes.size(); ++i) {
    INR_ASSIGN_OR_RETURN(int64_t ax, existing_axis(axes[i], static_cast<int64_t>(rank)));
    if (seen[ax]) return error("axis {} is listed twice", axes[i]);
    seen[ax] = true;
    p.begin[ax] = pads[i];
    p.end[ax] = pads[i + axes.size()];
  }
  p.out = x;
  for (size_t d = 0; d < rank; ++d) {
    // pads come from the file: a checked sum, so that [2^63-1, 2^63-1] cannot wrap into a small dim.
    const std::string what = fmt::format("padded dim {}", d);
    INR_ASSIGN_OR_RETURN(p.out[d], checked_add(x[d], p.begin[d], what));
    INR_ASSIGN_OR_RETURN(p.out[d], checked_add(p.out[d], p.end[d], what));
    if (p.out[d] < 0)
      return error("pads {} crop dim {} of size {} below zero", shape_str(pads), d, x[d]);
    bool pads_dim = p.begin[d] > 0 || p.end[d] > 0;
    if (pads_dim && p.mode == PadMode::kEdge && x[d] == 0) return error("edge mode cannot pad empty dim {}", d);
    if (pads_dim && p.mode == PadMode::kReflect && std::max(p.begin[d], p.end[d]) > x[d] - 1)
      return error("reflect pads {} need dim {} larger than the pad (size {})", shape_str(pads), d, x[d]);
  }
  return p;
}

Status infer(Node& node) {
  const Value* x = node.inputs[0];
  INR_TRY(expect_dtype(x, {DType::kF32, DType::kF64, DType::kI8, DType::kU8, DType::kI32, DType::kI64}, "data"));
  if (node_opset(node) >= kOpsetPadsInput) {
    if (node.input(1) == nullptr) return error("input pads is required");
    INR_TRY(expect_dtype(node.inputs[1], {DType::kI64}, "pads"));
    if (const Value* c = node.input(2)) {
      INR_TRY(expect_scalar(c, "constant_value"));
      if (c->dtype != x->dtype)
        return error("constant_value '{}' has dtype {}, expected the data's {}", c->name, dtype_name(c->dtype), dtype_name(x->dtype));
    }
  }
  INR_ASSIGN_OR_RETURN(PadSpec p, pad_spec(node, x->shape));
  set_output(node, 0, x->dtype, std::move(p.out));
  return Status::ok();
}

// Source index along one dim for output index o, or -1 for the constant.
int64_t source_index(PadMode mode, int64_t o, int64_t begin, int64_t n) {
  int64_t i = o - begin;
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case PadMode::kConstant: return -1;
    case PadMode::kEdge: return std::clamp(i, int64_t{0}, n - 1);
    case PadMode::kReflect: return i < 0 ? -i : 2 * (n - 1) - i;
  }
  return -1;
}

template <typename T>
void pad(const PadSpec& p, const Tensor& x, Tensor& y, T value) {
  const Shape& s = x.shape();
  const Shape& os = y.shape();
  size_t rank = s.size();
  std::vector<int64_t> in_stride(rank);
  int64_t st = 1;
  for (size_t d = rank; d-- > 0;) {
    in_stride[d] = st;
    st *= s[d];
  }
  const T* xp = x.data<T>();
  T* yp = y.data<T>();
  std::vector<int64_t> idx(rank, 0);
  for (int64_t i = 0, n = y.numel(); i < n; ++i) {
    int64_t at = 0;
    bool constant = false;
    for (size_t d = 0; d < rank && !constant; ++d) {
      int64_t src = source_index(p.mode, idx[d], p.begin[d], s[d]);
      constant = src < 0;
      at += src * in_stride[d];
    }
    yp[i] = constant ? value : xp[at];
    for (size_t d = rank; d-- > 0;) {
      if (++idx[d] < os[d]) break;
      idx[d] = 0;
    }
  }
}

Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  INR_ASSIGN_OR_RETURN(PadSpec p, pad_spec(node, in[0].shape()));
  bool value_input = node_opset(node) >= kOpsetPadsInput && in.size() > 2 && in[2].defined();
  float value_attr = node.attr_float("value", 0.f);
  return visit_numeric(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    T value = value_input ? in[2].data<T>()[0] : static_cast<T>(value_attr);
    pad<T>(p, in[0], out[0], value);
  });
}
}  // namespace

const OpSchema& schema_pad() {
  static const OpSchema s{Op::kPad, 1, 4, 1, 1, infer, run};
  return s;
}

}  // namespace inr
