// Slice: data[starts:ends:steps] along `axes` (default: the first len(starts) axes; steps default 1).
// Negative starts/ends count from the end; both are clamped to the dim ([0, dim] for positive steps,
// [-1, dim-1] for negative ones), so INT64_MAX means "to the end".
// ONNX spec: https://onnx.ai/onnx/operators/onnx__Slice.html (opsets 1, 10, 11, 13). Before opset 10
// starts/ends/axes are attributes; from 10 they are inputs, which must be known at plan time
// (initializers or computed from shapes).
#include <algorithm>
#include <cstring>

#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
constexpr int64_t kOpsetInputs = 10;

struct SliceGeometry {
  std::vector<int64_t> start, step;  // per input dim
  Shape out;
};

Result<SliceGeometry> geometry(const Node& node, const Shape& x) {
  std::vector<int64_t> starts, ends, axes, steps;
  if (node_opset(node) < kOpsetInputs) {
    starts = node.attr_ints("starts");
    ends = node.attr_ints("ends");
    axes = node.attr_ints("axes");
  } else {
    INR_ASSIGN_OR_RETURN(starts, constant_ints(node.input(1), "starts"));
    INR_ASSIGN_OR_RETURN(ends, constant_ints(node.input(2), "ends"));
    if (node.input(3)) {
      INR_ASSIGN_OR_RETURN(axes, constant_ints(node.input(3), "axes"));
    }
    if (node.input(4)) {
      INR_ASSIGN_OR_RETURN(steps, constant_ints(node.input(4), "steps"));
    }
  }
  size_t n = starts.size();
  if (ends.size() != n) return error("starts has {} entries, ends {}", n, ends.size());
  if (axes.empty())
    for (size_t i = 0; i < n; ++i) axes.push_back(static_cast<int64_t>(i));
  if (steps.empty()) steps.assign(n, 1);
  if (axes.size() != n || steps.size() != n)
    return error("starts, ends, axes and steps have {}, {}, {} and {} entries", n, ends.size(), axes.size(),
                 steps.size());
  int64_t rank = static_cast<int64_t>(x.size());
  SliceGeometry g;
  g.start.assign(x.size(), 0);
  g.step.assign(x.size(), 1);
  g.out = x;
  std::vector<bool> seen(x.size(), false);
  for (size_t i = 0; i < n; ++i) {
    INR_ASSIGN_OR_RETURN(int64_t a, normalize_axis(axes[i], rank));
    if (seen[a]) return error("axis {} is listed twice", axes[i]);
    seen[a] = true;
    int64_t dim = x[a], step = steps[i];
    if (step == 0) return error("step is 0 on axis {}", axes[i]);
    int64_t s = starts[i], e = ends[i];
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    if (step > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
    }
    // Written so that no step from the file can overflow: e - s + step - 1 wraps for a step near INT64_MAX
    // (a 1-element slice became 0 elements), and -step is undefined for INT64_MIN. Division truncates toward
    // zero, so (d - 1) / step == -((d - 1) / -step) for a negative step.
    int64_t d = step > 0 ? e - s : s - e;
    int64_t len = d <= 0 ? 0 : step > 0 ? (d - 1) / step + 1 : 1 - (d - 1) / step;
    g.start[a] = s;
    g.step[a] = step;
    g.out[a] = std::max<int64_t>(len, 0);
  }
  return g;
}

Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const Shape& s = in[0].shape();
  INR_ASSIGN_OR_RETURN(SliceGeometry g, geometry(node, s));
  size_t rank = s.size(), elem = dtype_size(in[0].dtype());
  int64_t n = out[0].numel();
  if (n == 0) return Status::ok();
  std::vector<int64_t> stride(rank);
  int64_t st = 1;
  for (size_t d = rank; d-- > 0;) {
    stride[d] = st;
    st *= s[d];
  }
  int64_t at = 0;
  for (size_t d = 0; d < rank; ++d) at += g.start[d] * stride[d];
  const auto* src = static_cast<const uint8_t*>(in[0].raw());
  auto* dst = static_cast<uint8_t*>(out[0].raw());
  // The last dim is copied as one run when its step is 1 (channels-last token slices, Swin's roll and
  // patch merging); the odometer walks the dims before it.
  size_t last = rank - 1;
  bool run = g.step[last] == 1;
  int64_t run_len = run ? g.out[last] : 1;
  size_t walk = run ? last : rank;  // dims the odometer walks
  std::vector<int64_t> idx(rank, 0);
  for (int64_t i = 0; i < n; i += run_len) {
    std::memcpy(dst + i * elem, src + at * elem, static_cast<size_t>(run_len) * elem);
    for (size_t d = walk; d-- > 0;) {
      at += g.step[d] * stride[d];
      if (++idx[d] < g.out[d]) break;
      at -= g.step[d] * stride[d] * g.out[d];
      idx[d] = 0;
    }
  }
  return Status::ok();
}

Status infer(Node& node) {
  const Value* x = node.inputs[0];
  INR_TRY(expect_byte_dtype(x, "data"));
  if (x->shape.empty()) return error("data '{}' is a scalar, expected rank >= 1", x->name);
  if (node_opset(node) < kOpsetInputs && node.inputs.size() > 1)
    return error("opset {} takes starts/ends/axes as attributes, not inputs", node_opset(node));
  INR_ASSIGN_OR_RETURN(SliceGeometry g, geometry(node, x->shape));
  set_output(node, 0, x->dtype, g.out);
  return fold_int_constants(node, run);
}
}  // namespace

const OpSchema& schema_slice() {
  static const OpSchema s{Op::kSlice, 1, 5, 1, 1, infer, run};
  return s;
}

}  // namespace inr
