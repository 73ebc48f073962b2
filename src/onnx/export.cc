// inr::Graph -> ModelProto. Used by the quantizer and `inr synth`; the result must load in ONNX Runtime,
// so private attributes ("_opset") and internal ops (domain "inr") are never written.
#include <onnx/onnx_pb.h>

#include <algorithm>

#include "core/file.h"
#include "onnx/onnx_io.h"
#include "ops/op_util.h"

namespace inr {

void tensor_to_proto(const Tensor& t, const std::string& name, onnx::TensorProto* proto) {
  proto->set_name(name);
  proto->set_data_type(dtype_to_onnx(t.dtype()));
  for (int64_t d : t.shape()) proto->add_dims(d);
  proto->set_raw_data(t.raw(), t.bytes());
}

namespace {

void write_type(const Value* v, onnx::ValueInfoProto* vi) {
  vi->set_name(v->name);
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(dtype_to_onnx(v->dtype));
  if (v->has_shape) {
    auto* shape = tt->mutable_shape();
    for (size_t i = 0; i < v->shape.size(); ++i) {
      auto* d = shape->add_dim();
      if (v->shape[i] >= 0) {
        d->set_dim_value(v->shape[i]);
      } else if (i < v->dim_params.size() && !v->dim_params[i].empty()) {
        d->set_dim_param(v->dim_params[i]);
      } else {
        d->set_dim_param(i == 0 ? "batch" : "d" + std::to_string(i));
      }
    }
  }
}

void write_attr(const std::string& key, const Attr& a, onnx::AttributeProto* ap) {
  using AP = onnx::AttributeProto;
  ap->set_name(key);
  switch (a.kind) {
    case Attr::Kind::kFloat: ap->set_type(AP::FLOAT); ap->set_f(a.f); break;
    case Attr::Kind::kInt: ap->set_type(AP::INT); ap->set_i(a.i); break;
    case Attr::Kind::kString: ap->set_type(AP::STRING); ap->set_s(a.s); break;
    case Attr::Kind::kTensor: ap->set_type(AP::TENSOR); tensor_to_proto(a.t, "", ap->mutable_t()); break;
    case Attr::Kind::kFloats:
      ap->set_type(AP::FLOATS);
      for (float f : a.floats) ap->add_floats(f);
      break;
    case Attr::Kind::kInts:
      ap->set_type(AP::INTS);
      for (int64_t i : a.ints) ap->add_ints(i);
      break;
    case Attr::Kind::kStrings:
      ap->set_type(AP::STRINGS);
      for (const auto& s : a.strings) ap->add_strings(s);
      break;
    case Attr::Kind::kUndefined: break;
  }
}

}  // namespace

Result<std::string> export_onnx_bytes(const Graph& graph) {
  onnx::ModelProto model;
  // INT4 / UINT4 exist from IR version 10 (ONNX 1.16, opset 21): a model holding them declares at least that,
  // or ONNX Runtime refuses the tensor type.
  int64_t ir_version = graph.ir_version;
  for (const auto& v : graph.values())
    if (v->dtype == DType::kI4 || v->dtype == DType::kU4 ||
        (v->is_constant() && (v->constant.dtype() == DType::kI4 || v->constant.dtype() == DType::kU4)))
      ir_version = std::max<int64_t>(ir_version, kIrVersion4Bit);
  model.set_ir_version(ir_version);
  model.set_producer_name("inr");
  model.set_producer_version(INR_VERSION);
  auto* op = model.add_opset_import();
  op->set_domain("");
  // An opset 1..6 model was rewritten into opset-7 form at import (legacy_opsets.h), so it is written as
  // opset 7, except for a legacy broadcast still waiting for shapes (passes/legacy_broadcast.cc).
  op->set_version(std::max<int64_t>(graph.opset, kOpsetLegacyUpgraded));
  for (const auto& n : graph.nodes())
    if (legacy_broadcast_pending(*n))
      return error("{}: opset {} broadcast/axis is resolved only once input shapes are known (run the passes "
                   "first)", n->label(), node_opset(*n));
  if (graph.opset_ms > 0) {
    auto* ms = model.add_opset_import();
    ms->set_domain("com.microsoft");
    ms->set_version(graph.opset_ms);
  }
  auto* gp = model.mutable_graph();
  gp->set_name(graph.name.empty() ? "inr" : graph.name);
  for (const Value* v : graph.inputs) write_type(v, gp->add_input());
  for (const Value* v : graph.outputs) write_type(v, gp->add_output());
  for (const auto& v : graph.values())
    if (v->is_constant() && !v->consumers.empty()) tensor_to_proto(v->constant, v->name, gp->add_initializer());
  for (const auto& n : graph.nodes()) {
    if (op_domain(n->op) == "inr") return error("{}: internal op cannot be exported", n->label());
    auto* np = gp->add_node();
    np->set_name(n->name);
    np->set_op_type(n->op_type);
    if (!n->domain.empty()) np->set_domain(n->domain);
    for (const Value* v : n->inputs) np->add_input(v ? v->name : "");
    for (const Value* v : n->outputs) np->add_output(v ? v->name : "");
    for (const auto& [key, attr] : n->attrs)
      if (!key.empty() && key[0] != '_') write_attr(key, attr, np->add_attribute());
  }
  std::string bytes;
  if (!model.SerializeToString(&bytes)) return error("cannot serialise the model (over 2 GiB?)");
  return bytes;
}

Status export_onnx_file(const Graph& graph, const std::string& path) {
  INR_ASSIGN_OR_RETURN(std::string bytes, export_onnx_bytes(graph));
  return write_file_atomic(path, bytes);
}

}  // namespace inr
