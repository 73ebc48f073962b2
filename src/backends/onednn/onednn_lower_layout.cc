// Data movement and normalisation over whole axes: Concat (in the inputs' common layout), Flatten/Reshape
// (a new plain view of a plain buffer: metadata only, or one reorder to plain first), Softmax (plain),
// Transpose (one reorder into permuted strides).
#include <algorithm>

#include <fmt/format.h>

#include "backends/onednn/onednn_compiler.h"

namespace inr::onednn {

namespace {

// Same physical layout family (plain, nChw16c, ...) regardless of dims: same inner blocking and the same
// order of outer strides.
bool same_layout(const memory::desc& a, const memory::desc& b) {
  if (a.data.format_kind != dnnl_blocked || b.data.format_kind != dnnl_blocked || a.data.ndims != b.data.ndims)
    return false;
  const auto& ba = a.data.format_desc.blocking;
  const auto& bb = b.data.format_desc.blocking;
  if (ba.inner_nblks != bb.inner_nblks) return false;
  for (int i = 0; i < ba.inner_nblks; ++i)
    if (ba.inner_blks[i] != bb.inner_blks[i] || ba.inner_idxs[i] != bb.inner_idxs[i]) return false;
  for (int i = 0; i < a.data.ndims; ++i)
    for (int j = 0; j < a.data.ndims; ++j)
      if ((ba.strides[i] < ba.strides[j]) != (bb.strides[i] < bb.strides[j])) return false;
  return true;
}

}  // namespace

Status lower_concat(Compiler& c, Node& n, int step) {
  Value* y = n.outputs[0];
  INR_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(n.attr_int("axis", 0), static_cast<int64_t>(y->shape.size())));
  std::vector<Version> srcs;
  bool common = true;
  for (Value* v : n.inputs) {
    srcs.push_back(c.current(v));
    common = common && same_layout(srcs.front().md, srcs.back().md);
  }
  if (!common)  // mixed layouts: meet in plain rather than fall to a slow generic concat
    for (size_t i = 0; i < srcs.size(); ++i) srcs[i] = c.as(n.inputs[i], plain_md(n.inputs[i]->shape), step);
  std::vector<memory::desc> mds;
  for (const Version& v : srcs) mds.push_back(v.md);
  // Plain inputs give a plain output. Left to choose, oneDNN may pick another order of the outer dims
  // (bac for [1, 1, C] ++ [1, T, C]: the same bytes when the batch is 1, but a different descriptor), which
  // every later element-wise node inherits and which sends oneDNN's binary to its reference kernel.
  bool plain = true;
  for (size_t i = 0; i < srcs.size(); ++i) plain = plain && srcs[i].md == plain_md(n.inputs[i]);
  dnnl::concat::primitive_desc pd =
      plain ? dnnl::concat::primitive_desc(plain_md(y), static_cast<int>(axis), mds, c.engine(), Compiler::base_attr())
            : dnnl::concat::primitive_desc(static_cast<int>(axis), mds, c.engine(), Compiler::base_attr());
  Version dst = c.output(y, pd.dst_desc(), step);
  std::vector<std::pair<int, Version>> args{{DNNL_ARG_DST, dst}};
  for (size_t i = 0; i < srcs.size(); ++i) args.emplace_back(DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i), srcs[i]);
  c.add_primitive(dnnl::concat(pd), pd, args, step, n.name);
  return Status::ok();
}

// Split: one reorder per output from the sub-block of the plain input (a strided view with an offset).
// The sizes come from the outputs' inferred shapes.
Status lower_split(Compiler& c, Node& n, int step) {
  Value* x = n.inputs[0];
  auto rank = static_cast<int64_t>(x->shape.size());
  INR_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(n.attr_int("axis", 0), rank));
  Version src = c.as(x, plain_md(x), step);
  Dims offsets(static_cast<size_t>(rank), 0);
  for (Value* y : n.outputs) {
    memory::desc sub = src.md.submemory_desc(to_dims(y->shape), offsets);
    Version dst = c.output(y, plain_md(y), step);
    c.add_reorder(Version{sub, src.ref}, dst, step, fmt::format("{} -> {}", n.name, y->name));
    offsets[static_cast<size_t>(axis)] += y->shape[static_cast<size_t>(axis)];
  }
  return Status::ok();
}

Status lower_reshape(Compiler& c, Node& n, int step) {
  Value* x = n.inputs[0];
  Value* y = n.outputs[0];
  bool was_plain = c.current(x).md == plain_md(x);
  Version src = c.as(x, plain_md(x), step);  // no-op when already plain
  c.alias_output(y, Version{plain_md(y), src.ref}, step);
  if (was_plain) c.forward_matmul(x, y, step);  // the same bytes as x's matmul output
  return Status::ok();
}

Status lower_softmax(Compiler& c, Node& n, int step) {
  Value* x = n.inputs[0];
  Value* y = n.outputs[0];
  int64_t rank = static_cast<int64_t>(x->shape.size());
  int64_t def_axis = n.attr_int("_opset", 13) >= 13 ? -1 : 1;
  INR_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(n.attr_int("axis", def_axis), rank));
  Version src = c.as(x, plain_md(x->shape), step);
  bool dst_is_slot = c.is_external(y);
  Version dst = !dst_is_slot && c.can_overwrite(src, step, {}) ? c.alias_output(y, src, step)
                                                                : c.output(y, src.md, step);
  dnnl::softmax_forward::desc d(dnnl::prop_kind::forward_inference, src.md, static_cast<int>(axis));
  dnnl::softmax_forward::primitive_desc pd(d, Compiler::base_attr(), c.engine());
  c.add_primitive(dnnl::softmax_forward(pd), pd, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}}, step, n.name);
  return Status::ok();
}

// Transpose as one reorder: the destination descriptor has the input's dims with the strides those dims
// have in the (plain, permuted) output, so writing it lays the output out row-major. No copy at all when
//  - x is already laid out so (a batched MatMul wrote attention's P V straight into [B, T, heads, d] order):
//    y is a plain view of x's buffer;
//  - every reader of y is a batched MatMul (attention's Q, K^T and V after the head split): y is a strided
//    view of x's buffer, which the matmul reads as it is (or reorders itself when it cannot).
Status lower_transpose(Compiler& c, Node& n, int step) {
  Value* x = n.inputs[0];
  Value* y = n.outputs[0];
  std::vector<int64_t> perm = transpose_perm(n);
  memory::desc permuted_md = transposed_md(x->shape, dnnl_type(x->dtype), perm);
  Version cur = c.current(x);
  if (cur.md == permuted_md && cur.ref.place == Place::kArena) {
    c.alias_output(y, Version{plain_md(y), cur.ref}, step);
    return Status::ok();
  }
  std::vector<const Node*> readers = c.readers(y);
  bool views = !c.is_external(y) && !readers.empty() &&
               std::all_of(readers.begin(), readers.end(), [](const Node* r) { return is_batched_matmul(*r); });
  Version src = c.as(x, plain_md(x), step);
  if (views) {
    // y's dims over x's plain buffer: y[i] steps as x[perm[i]].
    memory::desc xmd = plain_md(x);
    Dims strides(perm.size());
    for (size_t i = 0; i < perm.size(); ++i) strides[i] = xmd.data.format_desc.blocking.strides[perm[i]];
    c.alias_output(y, Version{memory::desc(to_dims(y->shape), dnnl_type(y->dtype), strides), src.ref}, step);
    return Status::ok();
  }
  Version dst = c.output(y, plain_md(y), step);
  c.add_reorder(src, Version{permuted_md, dst.ref}, step, n.name);
  return Status::ok();
}

}  // namespace inr::onednn
