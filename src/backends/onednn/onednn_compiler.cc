#include "backends/onednn/onednn_compiler.h"

#include <algorithm>
#include <cstring>

#include <omp.h>

#include <fmt/format.h>

namespace inr::onednn {

using dt = memory::data_type;
using tag = memory::format_tag;

Dims to_dims(const Shape& shape) {
  Dims d(shape.begin(), shape.end());
  if (d.empty()) d.push_back(1);
  return d;
}

memory::desc plain_md(const Shape& shape, memory::data_type type) {
  Dims d = to_dims(shape);
  Dims strides(d.size());
  int64_t s = 1;
  for (size_t i = d.size(); i-- > 0;) {
    strides[i] = s;
    s *= std::max<int64_t>(d[i], 1);
  }
  return memory::desc(d, type, strides);
}

memory::data_type dnnl_type(DType t) {
  switch (t) {
    case DType::kF32:
      return dt::f32;
    case DType::kU8:
      return dt::u8;
    case DType::kI8:
      return dt::s8;
    case DType::kI32:
      return dt::s32;
    default:
      return dt::undef;
  }
}

memory::desc plain_md(const Value* v) { return plain_md(v->shape, dnnl_type(v->dtype)); }

std::string md_name(const memory::desc& md) {
  Dims d = md.dims();
  Shape s(d.begin(), d.end());
  if (md == plain_md(s, md.data_type())) return "plain";
  struct Named {
    tag t;
    const char* name;
  };
  static const Named k4[] = {{tag::nChw16c, "nChw16c"}, {tag::nChw8c, "nChw8c"}, {tag::nhwc, "nhwc"},
                             {tag::nChw4c, "nChw4c"}};
  if (d.size() == 4)
    for (const Named& n : k4)
      if (md == memory::desc(d, md.data_type(), n.t)) return n.name;
  return "blocked";
}

dnnl::primitive_attr Compiler::base_attr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

Compiler::Compiler(const CompileRequest& request, const dnnl::engine& engine)
    : req_(request), engine_(engine), compile_stream_(engine) {
  for (size_t i = 0; i < req_.nodes.size(); ++i) {
    const Node* n = req_.nodes[i];
    for (Value* v : n->inputs)
      if (v) values_[v].last_use = static_cast<int>(i);
    for (Value* v : n->outputs)
      if (v) values_[v].last_use = std::max(values_[v].last_use, static_cast<int>(i));
  }
}

Compiler::ValueState& Compiler::state(Value* v) { return values_[v]; }

bool Compiler::is_external(const Value* v) const { return req_.external.count(v) != 0; }

Version Compiler::current(Value* v) {
  ValueState& s = state(v);
  if (!s.versions.empty()) return s.versions[0];
  memory::desc md = plain_md(v);
  if (v->is_constant() && v->constant.dtype() == DType::kF32) {
    s.versions.push_back(owned_constant(v->constant.data<float>(), md, md));
  } else if (is_external(v)) {
    s.versions.push_back(Version{md, MemRef{Place::kSlot, req_.slot_of.at(v)}});
  } else {
    throw std::runtime_error(fmt::format("value '{}' is read before the partition produces it", v->name));
  }
  // Every reader of a constant held as an owned copy reads that copy.
  if (v->is_constant() && s.versions[0].ref.place == Place::kOwned) copied(v);
  return s.versions[0];
}

int Compiler::new_buffer(size_t bytes, int first, int last) {
  program_.buffers.push_back(BufferLifetime{bytes, first, last});
  return static_cast<int>(program_.buffers.size()) - 1;
}

Version Compiler::as(Value* v, const memory::desc& md, int step) {
  Version main = current(v);
  ValueState& s = state(v);
  for (const Version& ver : s.versions)
    if (ver.md == md) return ver;
  Version alt{md, MemRef{Place::kArena, new_buffer(md.get_size(), step, std::max(step, s.last_use))}};
  add_reorder(main, alt, step,
              fmt::format("input {} ({} <- {})", v->name, md_name(md), md_name(main.md)));
  s.versions.push_back(alt);
  return alt;
}

Version Compiler::temporary(const memory::desc& md, int step) {
  return Version{md, MemRef{Place::kArena, new_buffer(md.get_size(), step, step)}};
}

Version Compiler::output(Value* v, const memory::desc& md, int step) {
  ValueState& s = state(v);
  Version ver;
  ver.md = md;
  if (is_external(v) && md == plain_md(v)) {
    ver.ref = MemRef{Place::kSlot, req_.slot_of.at(v)};
  } else {
    ver.ref = MemRef{Place::kArena, new_buffer(md.get_size(), step, std::max(step, s.last_use))};
  }
  s.versions.assign(1, ver);
  return ver;
}

Version Compiler::alias_output(Value* v, const Version& ver, int step) {
  ValueState& s = state(v);
  if (ver.ref.place == Place::kArena) {
    BufferLifetime& b = program_.buffers[static_cast<size_t>(ver.ref.index)];
    b.last_use = std::max({b.last_use, step, s.last_use});
  }
  s.versions.assign(1, ver);
  return ver;
}

bool Compiler::can_overwrite(const Version& ver, int step, const std::vector<Version>& other_inputs) const {
  if (ver.ref.place != Place::kArena) return false;
  if (program_.buffers[static_cast<size_t>(ver.ref.index)].last_use > step) return false;
  for (const Version& o : other_inputs)
    if (o.ref == ver.ref) return false;
  return true;
}

void Compiler::finish_output(Value* v, int step) {
  if (!is_external(v)) return;
  ValueState& s = state(v);
  // Done only when the main version is v's own slot: an alias of another value's slot (Reshape of an
  // external input) still has to be copied into v's slot.
  const MemRef own{Place::kSlot, req_.slot_of.at(v)};
  if (s.versions.empty() || s.versions[0].ref == own) return;
  Version slot{plain_md(v), own};
  add_reorder(s.versions[0], slot, step, fmt::format("output {} (plain <- {})", v->name, md_name(s.versions[0].md)));
  s.versions.push_back(slot);
}

int Compiler::mem_id(const Version& ver) {
  for (size_t i = 0; i < program_.mems.size(); ++i)
    if (program_.mems[i].ref == ver.ref && program_.mems[i].md == ver.md) return static_cast<int>(i);
  program_.mems.push_back(MemSpec{ver.md, ver.ref});
  return static_cast<int>(program_.mems.size()) - 1;
}

void Compiler::add_reorder(const Version& src, const Version& dst, int step, std::string label) {
  dnnl::reorder::primitive_desc pd(engine_, src.md, engine_, dst.md, base_attr());
  Step s;
  s.prim = dnnl::reorder(pd);
  s.args = {{DNNL_ARG_FROM, mem_id(src)}, {DNNL_ARG_TO, mem_id(dst)}};
  memory::desc scratch = pd.scratchpad_desc();
  if (scratch.get_size() > 0) {
    s.args.emplace_back(DNNL_ARG_SCRATCHPAD, mem_id(Version{scratch, MemRef{Place::kScratchpad, 0}}));
    program_.scratchpad_bytes = std::max(program_.scratchpad_bytes, scratch.get_size());
  }
  s.node = step;
  s.reorder = true;
  s.serial = std::max(src.md.get_size(), dst.md.get_size()) < kSerialStepBytes;
  s.label = fmt::format("node {}: {}", req_.nodes[static_cast<size_t>(step)]->name, label);
  program_.stats.reorders++;
  program_.stats.reorder_labels.push_back(s.label);
  program_.steps.push_back(std::move(s));
}

void Compiler::add_primitive(const dnnl::primitive& prim, const dnnl::primitive_desc_base& pd,
                             const std::vector<std::pair<int, Version>>& args, int step, const std::string& what) {
  Step s;
  s.prim = prim;
  size_t largest = 0;
  for (const auto& [arg, ver] : args) {
    s.args.emplace_back(arg, mem_id(ver));
    largest = std::max(largest, ver.md.get_size());
  }
  dnnl::primitive::kind kind = pd.get_kind();
  s.serial = kind != dnnl::primitive::kind::matmul && kind != dnnl::primitive::kind::convolution &&
             kind != dnnl::primitive::kind::inner_product && largest < kSerialStepBytes;
  memory::desc scratch = pd.scratchpad_desc();
  if (scratch.get_size() > 0) {
    s.args.emplace_back(DNNL_ARG_SCRATCHPAD, mem_id(Version{scratch, MemRef{Place::kScratchpad, 0}}));
    program_.scratchpad_bytes = std::max(program_.scratchpad_bytes, scratch.get_size());
  }
  s.node = step;
  s.label = what;
  s.impl = pd.impl_info_str();
  program_.stats.primitives++;
  program_.stats.impls.push_back(fmt::format("{}: {}", what, pd.impl_info_str()));
  program_.steps.push_back(std::move(s));
}

void Compiler::add_custom(CustomKernel kernel, const std::vector<Version>& args, int step, const std::string& what,
                          const std::string& impl) {
  if (args.size() > kMaxCustomArgs) throw std::logic_error("custom kernel with too many arguments");
  Step s;
  s.custom = std::move(kernel);
  size_t largest = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    s.args.emplace_back(static_cast<int>(i), mem_id(args[i]));
    largest = std::max(largest, args[i].md.get_size());
  }
  s.serial = largest < kSerialStepBytes;
  s.node = step;
  s.label = what;
  s.impl = impl;
  program_.stats.impls.push_back(fmt::format("{}: {}", what, impl));
  program_.steps.push_back(std::move(s));
}

Version Compiler::owned_constant(const void* data, const memory::desc& src_md, const memory::desc& dst_md) {
  program_.owned.emplace_back(dst_md.get_size());
  Arena& block = program_.owned.back();
  program_.stats.weight_bytes += dst_md.get_size();
  if (src_md == dst_md) {
    std::memcpy(block.data(), data, dst_md.get_size());
  } else {
    memory src(src_md, engine_, const_cast<void*>(data));
    memory dst(dst_md, engine_, block.data());
    dnnl::reorder(src, dst).execute(compile_stream_, src, dst);
    compile_stream_.wait();
  }
  return Version{dst_md, MemRef{Place::kOwned, static_cast<int>(program_.owned.size()) - 1}};
}

std::vector<const Node*> Compiler::readers(const Value* v) const {
  std::vector<const Node*> out;
  for (const Node* n : req_.nodes)
    if (std::find(n->inputs.begin(), n->inputs.end(), v) != n->inputs.end()) out.push_back(n);
  return out;
}

SerialScope::SerialScope(bool on) : saved_(on ? omp_get_max_threads() : 0) {
  if (on) omp_set_num_threads(1);
}
SerialScope::~SerialScope() {
  if (saved_ > 0) omp_set_num_threads(saved_);
}

void Compiler::note_matmul(Value* y, int step, const memory::desc& src, const memory::desc& wei,
                           const memory::desc& bias, const memory::desc& dst,
                           const std::vector<std::pair<int, Version>>& args, bool serial) {
  program_.steps.back().serial = serial;
  MatmulRecord r;
  r.serial = serial;
  r.step_index = program_.steps.size() - 1;
  r.impl_index = program_.stats.impls.size() - 1;
  r.node = step;
  r.src = src;
  r.wei = wei;
  r.bias = bias;
  r.dst = dst;
  r.args = args;
  matmuls_.push_back(std::move(r));
  matmul_of_[y] = matmuls_.size() - 1;
}

void Compiler::forward_matmul(Value* x, Value* y, int step) {
  auto it = matmul_of_.find(x);
  if (it == matmul_of_.end() || is_external(x)) return;
  std::vector<const Node*> r = readers(x);
  if (r.size() == 1 && r[0] == req_.nodes[static_cast<size_t>(step)]) matmul_of_[y] = it->second;
}

int Compiler::matmul_step(const Value* in) const {
  auto it = matmul_of_.find(in);
  return it == matmul_of_.end() ? -1 : matmuls_[it->second].node;
}

MemRef Compiler::matmul_src(const Value* in) const {
  auto it = matmul_of_.find(in);
  if (it == matmul_of_.end()) return MemRef{};
  for (const auto& [arg, ver] : matmuls_[it->second].args)
    if (arg == DNNL_ARG_SRC) return ver.ref;
  return MemRef{};
}

memory::desc Compiler::matmul_dst(const Value* in) const {
  auto it = matmul_of_.find(in);
  return it == matmul_of_.end() ? memory::desc() : matmuls_[it->second].dst;
}

int Compiler::producer_step(const Value* v) const {
  for (size_t i = 0; i < req_.nodes.size(); ++i)
    for (const Value* o : req_.nodes[i]->outputs)
      if (o == v) return static_cast<int>(i);
  return -1;
}

bool Compiler::append_post_op(Value* in, int step, const PostOpAdder& add, const Version* new_dst) {
  auto it = matmul_of_.find(in);
  if (it == matmul_of_.end() || is_external(in)) return false;
  std::vector<const Node*> r = readers(in);
  const Node* node = req_.nodes[static_cast<size_t>(step)];
  if (r.size() != 1 || r[0] != node) return false;
  MatmulRecord& rec = matmuls_[it->second];
  dnnl::post_ops ops = rec.ops;
  std::vector<std::pair<int, Version>> extra = add(ops);
  dnnl::primitive_attr attr = base_attr();
  attr.set_post_ops(ops);
  dnnl::matmul::primitive_desc pd;
  SerialScope serial(rec.serial);
  try {
    auto d = rec.bias.is_zero() ? dnnl::matmul::desc(rec.src, rec.wei, rec.dst)
                                : dnnl::matmul::desc(rec.src, rec.wei, rec.bias, rec.dst);
    pd = dnnl::matmul::primitive_desc(d, attr, engine_);
  } catch (const dnnl::error&) {
    return false;
  }
  if (is_reference_impl(pd) || pd.weights_desc() != rec.wei) return false;
  std::vector<std::pair<int, Version>> args = rec.args;
  if (new_dst)
    for (auto& [arg, ver] : args)
      if (arg == DNNL_ARG_DST) ver = *new_dst;
  args.insert(args.end(), extra.begin(), extra.end());
  Step& s = program_.steps[rec.step_index];
  s.prim = dnnl::matmul(pd);  // (its kernel is generated here, still under the SerialScope)
  s.args.clear();
  for (const auto& [arg, ver] : args) s.args.emplace_back(arg, mem_id(ver));
  memory::desc scratch = pd.scratchpad_desc();
  if (scratch.get_size() > 0) {
    s.args.emplace_back(DNNL_ARG_SCRATCHPAD, mem_id(Version{scratch, MemRef{Place::kScratchpad, 0}}));
    program_.scratchpad_bytes = std::max(program_.scratchpad_bytes, scratch.get_size());
  }
  s.impl = pd.impl_info_str();
  program_.stats.impls[rec.impl_index] = fmt::format("{} + {}: {}", s.label, node->name, s.impl);
  s.label += " + " + node->name;
  rec.ops = ops;
  rec.args = args;
  for (const Value* o : node->outputs) matmul_of_[o] = it->second;
  return true;
}

bool is_strided_view(const memory::desc& md) {
  return md.data.format_kind == dnnl_blocked && md.data.format_desc.blocking.inner_nblks == 0 &&
         md.data.offset0 == 0;
}

std::vector<int64_t> transpose_perm(const Node& n) {
  std::vector<int64_t> perm = n.attr_ints("perm");
  size_t rank = n.inputs[0]->shape.size();
  if (perm.empty())
    for (size_t i = 0; i < rank; ++i) perm.push_back(static_cast<int64_t>(rank - 1 - i));
  return perm;
}

memory::desc transposed_md(const Shape& x, memory::data_type type, const std::vector<int64_t>& perm) {
  size_t rank = x.size();
  Dims y_strides(rank), strides(rank);
  int64_t st = 1;
  for (size_t d = rank; d-- > 0;) {
    y_strides[d] = st;
    st *= x[static_cast<size_t>(perm[d])];
  }
  for (size_t i = 0; i < rank; ++i) strides[static_cast<size_t>(perm[i])] = y_strides[i];
  return memory::desc(to_dims(x), type, strides);
}

bool is_batched_matmul(const Node& n) {
  return n.op == Op::kMatMul && n.inputs.size() == 2 && !(n.inputs[1]->is_constant() && n.inputs[1]->shape.size() == 2);
}

void Compiler::copied(const Value* v) {
  if (v && v->is_constant() && std::find(copied_.begin(), copied_.end(), v) == copied_.end()) copied_.push_back(v);
}

bool is_reference_impl(const dnnl::primitive_desc_base& pd) {
  return std::string(pd.impl_info_str()).rfind("ref", 0) == 0;
}

Status Compiler::lower() {
  for (size_t i = 0; i < req_.nodes.size(); ++i) {
    Node& n = *req_.nodes[i];
    int step = static_cast<int>(i);
    Status st;
    copied_.clear();
    // A oneDNN exception while lowering one node is reported with that node's name (supports() should have
    // refused what oneDNN cannot take; this keeps a gap there from becoming an anonymous compile error).
    try {
      switch (n.op) {
        case Op::kConv:
        case Op::kFusedConv:
          st = lower_conv(*this, n, step);
          break;
        case Op::kMaxPool:
        case Op::kAveragePool:
        case Op::kGlobalAveragePool:
        case Op::kGlobalMaxPool:
          st = lower_pool(*this, n, step);
          break;
        case Op::kRelu:
        case Op::kClip:
        case Op::kLeakyRelu:
        case Op::kSigmoid:
        case Op::kHardSigmoid:
        case Op::kHardSwish:
        case Op::kGelu:
        case Op::kTanh:
        case Op::kExp:
        case Op::kSqrt:
          st = lower_eltwise(*this, n, step);
          break;
        case Op::kAdd:
        case Op::kSub:
        case Op::kMul:
        case Op::kDiv:
          st = lower_binary(*this, n, step);
          break;
        case Op::kConcat:
          st = lower_concat(*this, n, step);
          break;
        case Op::kSplit:
          st = lower_split(*this, n, step);
          break;
        case Op::kSoftmax:
          st = lower_softmax(*this, n, step);
          break;
        case Op::kFlatten:
        case Op::kReshape:
          st = lower_reshape(*this, n, step);
          break;
        case Op::kBatchNormalization:
          st = lower_batch_norm(*this, n, step);
          break;
        case Op::kLayerNormalization:
          st = lower_layer_norm(*this, n, step);
          break;
        case Op::kTranspose:
          st = lower_transpose(*this, n, step);
          break;
        case Op::kGemm:
        case Op::kMatMul:
          st = lower_matmul(*this, n, step);
          break;
        case Op::kQLinearConv:
          st = lower_qlinear_conv(*this, n, step);
          break;
        case Op::kQuantizeLinear:
          st = lower_quantize_linear(*this, n, step);
          break;
        case Op::kDequantizeLinear:
          st = lower_dequantize_linear(*this, n, step);
          break;
        case Op::kQLinearMatMul:
          st = lower_qlinear_matmul(*this, n, step);
          break;
        case Op::kQLinearAdd:
          st = lower_qlinear_add(*this, n, step);
          break;
        case Op::kQLinearGlobalAveragePool:
          st = lower_qlinear_gap(*this, n, step);
          break;
        case Op::kQGemm:
          st = lower_qgemm(*this, n, step);
          break;
        default:
          st = error("op {} is not supported by the onednn backend", n.op_type);
      }
    } catch (const dnnl::error& e) {
      st = error("oneDNN refused it: {} (status {})", e.what(), static_cast<int>(e.status));
    }
    INR_TRY(st.with_context(n.label()));
    for (Value* out : n.outputs)
      if (out) finish_output(out, step);
    if (req_.constant_copied)
      for (const Value* v : copied_) req_.constant_copied(n, *v);
    copied_.clear();
  }
  return Status::ok();
}

}  // namespace inr::onednn
