// int8 ops inside a oneDNN partition that oneDNN 2.6 cannot compute with ONNX Runtime's rounding, run as
// custom steps over the partition's memories with the kernels the reference backend uses, so the bytes are
// the same as the reference kernels' and ORT's. Keeping them in the partition keeps the int8 tensors in the
// layouts the convolutions chose, with no partition boundary (and its reorders) around them.
//
// QLinearAdd (ops/qadd_kernel.h; oneDNN's binary has no zero points and rounds differently): element-wise
// over memory, in whatever layout the producers chose (B is reordered to A's when they differ); in place
// when A is dead after the node. An operand that is a row repeated over the other's leading dims (a
// classifier's bias, [1000] over [N, 1000]) runs on plain memory, one span per row.
// QLinearGlobalAveragePool (ops/qgap_kernel.h): over a channels-last (acdb) or plain NCHW input.
#include <algorithm>

#include "backends/onednn/onednn_compiler.h"
#include "backends/onednn/onednn_int8.h"
#include "ops/qadd_kernel.h"
#include "ops/qgap_kernel.h"
#include "ops/quant_util.h"

namespace inr::onednn {

namespace {

// `x` equals the trailing dims of `y` (after dropping leading 1s): [1000] or [1, 1000] over
// [N, 1000]. ORT's broadcast loop then hands its kernel whole rows of both, the same-shape formula.
bool is_trailing(const Shape& x, const Shape& y) {
  size_t lead = 0;
  while (lead < x.size() && x[lead] == 1) ++lead;
  size_t rest = x.size() - lead;
  if (rest == 0 || rest > y.size()) return false;
  for (size_t k = 0; k < rest; ++k)
    if (x[lead + k] != y[y.size() - rest + k]) return false;
  return shape_numel(x) <= shape_numel(y);
}

int32_t zp_of(const Node& n, size_t i) { return n.input(i) ? load_qint(n.input(i)->constant, 0) : 0; }

}  // namespace

Status qlinear_add_support(const Node& n) {
  const Value* a = n.input(0);
  const Value* b = n.input(3);
  const Value* y = n.outputs.empty() ? nullptr : n.outputs[0];
  if (!a || !b || !y) return error("A, B or Y absent");
  if (a->is_constant() && b->is_constant()) return error("A and B are both constant");  // (a constant is materialised)
  if (!is_q8(y->dtype) || a->dtype != y->dtype || b->dtype != y->dtype)
    return error("A {}, B {}, Y {} are not one u8/s8 type", dtype_name(a->dtype), dtype_name(b->dtype),
                 dtype_name(y->dtype));
  if (!(a->shape == y->shape && (b->shape == y->shape || is_trailing(b->shape, y->shape))) &&
      !(b->shape == y->shape && is_trailing(a->shape, y->shape)))
    return error("A {} and B {} broadcast other than a row over {}", shape_str(a->shape), shape_str(b->shape),
                 shape_str(y->shape));
  for (size_t i : {1, 4, 6})
    if (!is_const_scalar(n.input(i)) || n.input(i)->dtype != DType::kF32)
      return error("input {} (a scale) is not a constant f32 scalar", i);
  for (size_t i : {2, 5, 7})
    if (!absent_or_const_scalar(n.input(i))) return error("input {} (a zero point) is not a constant scalar", i);
  return Status::ok();
}

Status lower_qlinear_add(Compiler& c, Node& n, int step) {
  Value* a = n.inputs[0];
  Value* b = n.inputs[3];
  Value* y = n.outputs[0];
  QAddParams p = qadd_params(load_scale(n.inputs[1]->constant, 0), zp_of(n, 2), load_scale(n.inputs[4]->constant, 0),
                             zp_of(n, 5), load_scale(n.inputs[6]->constant, 0), zp_of(n, 7), y->dtype);
  DType type = y->dtype;
  int64_t count = shape_numel(y->shape);
  if (a->shape != b->shape) {
    // One operand is a row repeated over the other's leading dims: plain memory, one span per row.
    bool a_row = a->shape != y->shape;
    Value* full = a_row ? b : a;
    Value* row = a_row ? a : b;
    Version fv = c.as(full, plain_md(full), step);
    Version rv = c.as(row, plain_md(row), step);
    bool dst_is_slot = c.is_external(y);
    Version dst = !dst_is_slot && c.can_overwrite(fv, step, {rv}) ? c.alias_output(y, fv, step)
                                                                   : c.output(y, plain_md(y), step);
    int64_t len = shape_numel(row->shape);
    c.add_custom([p, type, count, len, a_row](void* const* data) {
      auto* full_p = static_cast<const uint8_t*>(data[0]);
      auto* out_p = static_cast<uint8_t*>(data[2]);
      for (int64_t off = 0; off < count; off += len) {
        const void* av = a_row ? data[1] : full_p + off;
        const void* bv = a_row ? full_p + off : data[1];
        qadd_span(type, av, false, bv, false, out_p + off, len, p);
      }
    }, {fv, rv, dst}, step, n.name);
    return Status::ok();
  }
  Version av = c.current(a);
  // Every byte of the buffer is an element: blocked layouts with padded channels would add the padding too.
  if (av.md.get_size() != static_cast<size_t>(shape_numel(a->shape))) av = c.as(a, plain_md(a), step);
  Version bv = c.as(b, av.md, step);
  bool dst_is_slot = c.is_external(y) && av.md == plain_md(y);
  Version dst = !dst_is_slot && c.can_overwrite(av, step, {bv}) ? c.alias_output(y, av, step)
                                                                 : c.output(y, av.md, step);
  c.add_custom([p, type, count](void* const* data) { qadd_span(type, data[0], false, data[1], false, data[2], count, p); },
               {av, bv, dst}, step, n.name);
  return Status::ok();
}

Status qlinear_gap_support(const Node& n) {
  const Value* x = n.input(0);
  const Value* y = n.outputs.empty() ? nullptr : n.outputs[0];
  if (!x || !y || x->is_constant() || !is_q8(x->dtype) || y->dtype != x->dtype)
    return error("X and Y are not one non-constant u8/s8 type");
  if (x->shape.size() != 4 || shape_numel(x->shape) == 0 || n.attr_int("channels_last", 0) != 0)
    return error("X {} is not a non-empty 4-D NCHW tensor", shape_str(x->shape));
  for (size_t i : {1, 3})
    if (!is_const_scalar(n.input(i)) || n.input(i)->dtype != DType::kF32)
      return error("input {} (a scale) is not a constant f32 scalar", i);
  for (size_t i : {2, 4})
    if (!is_const_scalar(n.input(i))) return error("input {} (a zero point) is not a constant scalar", i);
  return Status::ok();
}

Status lower_qlinear_gap(Compiler& c, Node& n, int step) {
  Value* x = n.inputs[0];
  Value* y = n.outputs[0];
  const Shape& s = x->shape;
  int64_t batch = s[0], channels = s[1], spatial = s[2] * s[3];
  QGapParams p = qgap_params(load_scale(n.inputs[1]->constant, 0), zp_of(n, 2), load_scale(n.inputs[3]->constant, 0),
                             zp_of(n, 4), spatial, y->dtype);
  memory::data_type dt = dnnl_type(x->dtype);
  memory::desc nhwc(to_dims(s), dt, memory::format_tag::acdb);
  Version xv = c.current(x);
  bool channels_last = xv.md != plain_md(x);
  if (channels_last) xv = c.as(x, nhwc, step);
  Version dst = c.output(y, plain_md(y), step);
  DType type = y->dtype;
  c.add_custom([p, type, batch, channels, spatial, channels_last](void* const* data) {
    qgap(type, data[0], data[1], batch, channels, spatial, channels_last, p);
  }, {xv, dst}, step, n.name);
  return Status::ok();
}

}  // namespace inr::onednn
