// com.microsoft QLinearAdd inside a oneDNN partition. oneDNN 2.6's binary primitive has no zero points and
// rounds differently from ONNX Runtime, so the sum is a custom step running the shared kernel
// (ops/qadd_kernel.h): the same bytes as the reference kernel and ORT. Element-wise over memory, it runs in
// whatever layout the producers chose (B is reordered to A's when they differ), so the int8 convolutions
// around a residual add keep their blocked layout, and it computes in place when A is dead after the node.
#include "backends/onednn/onednn_compiler.h"
#include "ops/qadd_kernel.h"
#include "ops/quant_util.h"

namespace inr::onednn {

namespace {

bool const_scalar(const Value* v, bool optional) {
  if (v == nullptr) return optional;
  return v->is_constant() && v->constant.numel() == 1;
}

int32_t zp_of(const Node& n, size_t i) { return n.input(i) ? load_qint(n.input(i)->constant, 0) : 0; }

}  // namespace

bool qlinear_add_supported(const Node& n) {
  const Value* a = n.input(0);
  const Value* b = n.input(3);
  const Value* y = n.outputs.empty() ? nullptr : n.outputs[0];
  if (!a || !b || !y || a->is_constant() || b->is_constant()) return false;
  if (!is_q8(y->dtype) || a->dtype != y->dtype || b->dtype != y->dtype) return false;
  if (a->shape != y->shape || b->shape != y->shape) return false;
  for (size_t i : {1, 4, 6})
    if (!const_scalar(n.input(i), false) || n.input(i)->dtype != DType::kF32) return false;
  for (size_t i : {2, 5, 7})
    if (!const_scalar(n.input(i), true)) return false;
  return true;
}

Status lower_qlinear_add(Compiler& c, Node& n, int step) {
  Value* a = n.inputs[0];
  Value* b = n.inputs[3];
  Value* y = n.outputs[0];
  QAddParams p = qadd_params(load_scale(n.inputs[1]->constant, 0), zp_of(n, 2), load_scale(n.inputs[4]->constant, 0),
                             zp_of(n, 5), load_scale(n.inputs[6]->constant, 0), zp_of(n, 7), y->dtype);
  Version av = c.current(a);
  // Every byte of the buffer is an element: blocked layouts with padded channels would add the padding too.
  if (av.md.get_size() != static_cast<size_t>(shape_numel(a->shape))) av = c.as(a, plain_md(a), step);
  Version bv = c.as(b, av.md, step);
  bool dst_is_slot = c.is_external(y) && av.md == plain_md(y);
  Version dst = !dst_is_slot && c.can_overwrite(av, step, {bv}) ? c.alias_output(y, av, step)
                                                                 : c.output(y, av.md, step);
  DType type = y->dtype;
  int64_t count = shape_numel(y->shape);
  c.add_custom([p, type, count](void* const* data) { qadd_span(type, data[0], false, data[1], false, data[2], count, p); },
               {av, bv, dst}, step, n.name);
  return Status::ok();
}

}  // namespace inr::onednn
