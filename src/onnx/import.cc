// ModelProto -> inr::Graph. Spec: onnx/onnx.proto (IR versions 3..10) and docs/IR.md.
#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <onnx/onnx_pb.h>

#include "core/file.h"
#include "core/half.h"
#include "core/tensor_size.h"
#include "onnx/legacy_opsets.h"
#include "onnx/onnx_io.h"

namespace inr {

namespace fs = std::filesystem;

namespace {

// Reads `count` elements of external data for `proto` from a file inside `base_dir`.
Result<std::string> read_external(const onnx::TensorProto& proto, const std::string& base_dir, size_t expect,
                                  const std::string& what) {
  std::string location;
  int64_t offset = 0, length = -1;
  // offset/length are decimal integers >= 0 (std::stoll threw "stoll" on "abc" and read "1e3" as 1).
  auto number = [&](const std::string& key, const std::string& text, int64_t& out) -> Status {
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec != std::errc() || p != text.data() + text.size() || text.empty() || out < 0)
      return error("{}: external data {} '{}' is not a non-negative integer", what, key, text);
    return Status::ok();
  };
  for (const auto& kv : proto.external_data()) {
    if (kv.key() == "location") location = kv.value();
    if (kv.key() == "offset") INR_TRY(number("offset", kv.value(), offset));
    if (kv.key() == "length") INR_TRY(number("length", kv.value(), length));
  }
  if (base_dir.empty()) return error("{}: external data is not allowed here", what);
  if (location.empty()) return error("{}: external data without a location", what);
  std::error_code ec;
  fs::path base = fs::weakly_canonical(base_dir, ec);
  fs::path file = fs::weakly_canonical(fs::path(base_dir) / location, ec);
  auto rel = file.lexically_relative(base);
  if (fs::path(location).is_absolute() || rel.empty() || *rel.begin() == "..")
    return error("{}: external data path '{}' leaves the model's directory", what, location);
  if (fs::exists(file, ec) && !fs::is_regular_file(file, ec))  // a FIFO would block the open forever
    return error("{}: external data file '{}' is not a regular file", what, file.string());
  std::ifstream in(file, std::ios::binary);
  if (!in) return error("{}: cannot open external data file '{}'", what, file.string());
  in.seekg(0, std::ios::end);
  int64_t size = in.tellg();
  if (length < 0) length = static_cast<int64_t>(expect);
  if (offset < 0 || offset > size || length > size - offset || static_cast<size_t>(length) != expect)
    return error("{}: external data range [{}, +{}) does not fit '{}' ({} bytes) or the tensor ({} bytes)",
                 what, offset, length, location, size, expect);
  std::string data(static_cast<size_t>(length), '\0');
  in.seekg(offset);
  in.read(data.data(), length);
  if (!in) return error("{}: short read from '{}'", what, location);
  return data;
}

Status import_attr(const onnx::AttributeProto& a, const std::string& base_dir, Attr* out) {
  using AP = onnx::AttributeProto;
  switch (a.type()) {
    case AP::FLOAT: *out = Attr::of_float(a.f()); break;
    case AP::INT: *out = Attr::of_int(a.i()); break;
    case AP::STRING: *out = Attr::of_string(a.s()); break;
    case AP::TENSOR: {
      INR_ASSIGN_OR_RETURN(Tensor t, tensor_from_proto(a.t(), base_dir));
      *out = Attr::of_tensor(std::move(t));
      break;
    }
    case AP::FLOATS: *out = Attr::of_floats({a.floats().begin(), a.floats().end()}); break;
    case AP::INTS: *out = Attr::of_ints({a.ints().begin(), a.ints().end()}); break;
    case AP::STRINGS:
      out->kind = Attr::Kind::kStrings;
      out->strings.assign(a.strings().begin(), a.strings().end());
      break;
    default:
      return error("attribute '{}' has unsupported type {}", a.name(), static_cast<int>(a.type()));
  }
  return Status::ok();
}

// Records the declared type of graph input/output `v`: an element type inr cannot hold and a declared shape
// beyond the tensor size limit are errors naming the value (was: "has no tensor type" at run, or a bare "out of
// memory"). Value_info of intermediates is only a hint (inr re-infers it), so its errors are ignored there.
Status read_type(const onnx::TypeProto& type, Value* v) {
  if (type.value_case() == onnx::TypeProto::VALUE_NOT_SET) return Status::ok();  // untyped: inferred later
  if (!type.has_tensor_type())
    return error("value '{}' is not a tensor (sequence, map and optional values are not supported)", v->name);
  const auto& tt = type.tensor_type();
  v->dtype = dtype_from_onnx(tt.elem_type());
  if (v->dtype == DType::kUndefined && tt.elem_type() != onnx::TensorProto::UNDEFINED)
    return error("value '{}' has element type {} ({}), which inr does not support", v->name, tt.elem_type(),
                 onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(tt.elem_type())));
  if (tt.has_shape()) {
    v->has_shape = true;
    v->shape.clear();
    v->dim_params.clear();
    bool named = false;
    for (const auto& d : tt.shape().dim()) {
      v->shape.push_back(d.has_dim_value() ? d.dim_value() : -1);
      v->dim_params.push_back(d.has_dim_param() ? d.dim_param() : "");
      named = named || d.has_dim_param();
    }
    if (!named) v->dim_params.clear();
    if (std::all_of(v->shape.begin(), v->shape.end(), [](int64_t d) { return d >= 0; }))
      INR_TRY(checked_numel(v->shape, v->dtype, fmt::format("value '{}'", v->name)).status());
  }
  return Status::ok();
}

}  // namespace

Result<Tensor> tensor_from_proto(const onnx::TensorProto& proto, const std::string& base_dir, std::string_view label) {
  const std::string what = !label.empty()             ? std::string(label)
                           : proto.name().empty() ? std::string("an unnamed tensor")
                                                  : fmt::format("tensor '{}'", proto.name());
  DType dtype = dtype_from_onnx(proto.data_type());
  if (dtype == DType::kUndefined)
    return error("{}: unsupported data type {}", what, proto.data_type());
  Shape shape(proto.dims().begin(), proto.dims().end());
  // Sizes are checked, and the payload's size compared with them, before anything is allocated: a small
  // file that declares a huge tensor is refused without first zero-filling gigabytes.
  INR_ASSIGN_OR_RETURN(const int64_t n, checked_numel(shape, dtype, what));
  const size_t bytes = dtype_bytes(dtype, n);
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    INR_ASSIGN_OR_RETURN(std::string data, read_external(proto, base_dir, bytes, what));
    Tensor t = Tensor::empty(dtype, shape);
    if (bytes) std::memcpy(t.raw(), data.data(), bytes);
    return t;
  }
  if (proto.has_raw_data()) {
    if (proto.raw_data().size() != bytes)
      return error("{}: raw_data has {} bytes, shape {} of {} needs {}", what,
                   proto.raw_data().size(), shape_str(shape), dtype_name(dtype), bytes);
    Tensor t = Tensor::empty(dtype, shape);
    if (bytes) std::memcpy(t.raw(), proto.raw_data().data(), bytes);
    return t;
  }
  // Typed fields: the count is checked before the tensor is allocated.
  int64_t have = 0;
  switch (dtype) {
    case DType::kF32: have = proto.float_data_size(); break;
    case DType::kF64: have = proto.double_data_size(); break;
    case DType::kI64: have = proto.int64_data_size(); break;
    default: have = proto.int32_data_size(); break;
  }
  if (dtype == DType::kI4 || dtype == DType::kU4) {
    if (have != (n + 1) / 2)
      return error("{}: {} int32_data entries for shape {} of {} (needs {}: two 4-bit values per entry)",
                   what, have, shape_str(shape), dtype_name(dtype), (n + 1) / 2);
  } else if (have != n) {
    return error("{}: {} values for shape {}", what, have, shape_str(shape));
  }
  Tensor t = Tensor::zeros(dtype, shape);
  switch (dtype) {
    case DType::kF32:
      std::copy(proto.float_data().begin(), proto.float_data().end(), t.data<float>());
      break;
    case DType::kF64:
      std::copy(proto.double_data().begin(), proto.double_data().end(), t.data<double>());
      break;
    case DType::kI64:
      std::copy(proto.int64_data().begin(), proto.int64_data().end(), t.data<int64_t>());
      break;
    case DType::kI32:
      std::copy(proto.int32_data().begin(), proto.int32_data().end(), t.data<int32_t>());
      break;
    case DType::kI8:
    case DType::kU8:
    case DType::kBool:
      for (int64_t i = 0; i < n; ++i) t.data<uint8_t>()[i] = static_cast<uint8_t>(proto.int32_data(i));
      break;
    case DType::kI16:
    case DType::kU16:
    case DType::kF16:  // int32_data holds the 16-bit patterns
    case DType::kBF16:
      for (int64_t i = 0; i < n; ++i) t.data<uint16_t>()[i] = static_cast<uint16_t>(proto.int32_data(i));
      break;
    case DType::kI4:
    case DType::kU4: {
      // int32_data holds the packed bytes, one pair of 4-bit values per entry (first value in the low
      // nibble): onnx.proto "uint4 and int4 values must be packed to 4bitx2", and ONNX Runtime's UnpackTensor
      // expects ceil(n / 2) entries (counted above). An entry outside a byte is corrupt, not truncated silently.
      const int64_t pairs = (n + 1) / 2;
      auto* p = t.data<uint8_t>();
      for (int64_t i = 0; i < pairs; ++i) {
        const int32_t v = proto.int32_data(static_cast<int>(i));
        if (v < 0 || v > 0xff)
          return error("{}: int32_data[{}] = {} is not a byte of two packed 4-bit values", what, i, v);
        p[i] = static_cast<uint8_t>(v);
      }
      break;
    }
    case DType::kUndefined:
      break;
  }
  return t;
}

Result<Tensor> read_tensor_pb(const std::string& path, std::string* name) {
  INR_ASSIGN_OR_RETURN(std::string bytes, read_file(path));
  onnx::TensorProto proto;
  if (!proto.ParseFromString(bytes)) return error("{}: not a valid ONNX TensorProto", path);
  if (name) *name = proto.name();
  auto t = tensor_from_proto(proto, fs::path(path).parent_path().string());
  if (!t) return t.status().with_context(path);
  return t;
}

namespace {
constexpr const char* kNotOnnx = "not a valid ONNX model (protobuf parse failed: truncated or not ONNX)";

// Builds the graph from `model`, moving each initializer's payload out of the protobuf as it is converted, so
// that the weights are held once (in the graph) rather than twice while the model loads.
Result<std::unique_ptr<Graph>> import_model(onnx::ModelProto& model, const std::string& base_dir) {
  if (!model.has_graph() || model.graph().node_size() == 0)
    return error("not a valid ONNX model (no graph or no nodes)");
  if (model.ir_version() < kMinIrVersion || model.ir_version() > kMaxIrVersion)
    return error("ONNX ir_version {} is not supported (supported: {}..{})", model.ir_version(), kMinIrVersion,
                 kMaxIrVersion);
  auto g = std::make_unique<Graph>();
  g->ir_version = model.ir_version();
  g->producer_name = model.producer_name();
  g->opset = 0;
  int default_imports = 0, ms_imports = 0;
  for (const auto& imp : model.opset_import()) {
    if (imp.domain().empty() || imp.domain() == "ai.onnx") {
      g->opset = imp.version();
      ++default_imports;
    } else if (imp.domain() == "com.microsoft") {
      g->opset_ms = imp.version();
      ++ms_imports;
    }
  }
  // Each domain is imported once, with a version >= 1 (ONNX's checker says the same); a model without an
  // ai.onnx import was once read as the oldest supported opset, which silently changes what ops mean.
  if (default_imports > 1 || ms_imports > 1)
    return error("opset_import lists the {} domain {} times", default_imports > 1 ? "ai.onnx" : "com.microsoft",
                 default_imports > 1 ? default_imports : ms_imports);
  if (default_imports == 0)
    return error("the model imports no ai.onnx opset (opset_import); cannot tell what its ops mean");
  if (g->opset < kMinOpset || g->opset > kMaxOpset)
    return error("ai.onnx opset {} is not supported (supported: {}..{})", g->opset, kMinOpset, kMaxOpset);

  const onnx::GraphProto& gp = model.graph();
  g->name = gp.name();
  std::set<std::string> initializer_names;
  int init_index = 0;
  for (auto& init : *model.mutable_graph()->mutable_initializer()) {
    if (!initializer_names.insert(init.name()).second)
      return error("initializer '{}' is defined twice", init.name());
    // Named once in its messages ("initializer 'b': ..."; an empty name by its position).
    const std::string label = init.name().empty() ? fmt::format("an unnamed initializer (#{})", init_index)
                                                  : fmt::format("initializer '{}'", init.name());
    ++init_index;
    auto t = tensor_from_proto(init, base_dir, label);
    std::string().swap(*init.mutable_raw_data());  // the graph holds the weights from here on
    if (!t) return t.status();
    g->add_constant(init.name(), std::move(t.value()));
  }
  for (const auto& in : gp.input()) {
    Value* v = g->find_value(in.name());
    if (v != nullptr) continue;  // an initializer listed as input: a constant (ir_version >= 4 default)
    v = g->add_value(in.name());
    INR_TRY(read_type(in.type(), v));
    g->inputs.push_back(v);
  }
  for (const auto& vi : gp.value_info()) {
    // value_info gives types of intermediates; inr re-infers them, so only record names here.
    if (!g->find_value(vi.name())) (void)read_type(vi.type(), g->add_value(vi.name()));
  }
  std::map<std::string, std::vector<std::string>> unsupported;
  std::set<std::string> produced;
  int index = 0;
  for (const auto& np : gp.node()) {
    std::vector<Value*> ins, outs;
    for (const auto& name : np.input()) {
      if (name.empty()) {
        ins.push_back(nullptr);
        continue;
      }
      Value* v = g->find_value(name);
      if (v == nullptr) v = g->add_value(name);  // produced later or missing: topo_sort reports it
      ins.push_back(v);
    }
    for (const auto& name : np.output()) {
      if (name.empty()) {
        outs.push_back(nullptr);
        continue;
      }
      if (!produced.insert(name).second)
        return error("value '{}' is produced by more than one node (node {})", name, np.name());
      Value* v = g->find_value(name);
      if (v == nullptr) v = g->add_value(name);
      if (v->is_constant()) return error("node {} writes to initializer '{}'", np.name(), name);
      if (std::find(g->inputs.begin(), g->inputs.end(), v) != g->inputs.end())
        return error("node {} writes to graph input '{}'", np.name(), name);
      outs.push_back(v);
    }
    std::string node_name = np.name().empty() ? fmt::format("{}_{}", np.op_type(), index) : np.name();
    Node* n = g->add_node(node_name, np.op_type(), np.domain(), ins, outs);
    ++index;
    if (n->op == Op::kUnknown || op_domain(n->op) == "inr") {
      std::string key = (np.domain().empty() || np.domain() == "ai.onnx") ? np.op_type() : np.domain() + "." + np.op_type();
      unsupported[key].push_back(node_name);
      continue;
    }
    for (const auto& a : np.attribute()) {
      Attr attr;
      INR_TRY(import_attr(a, base_dir, &attr).with_context(n->label()));
      n->attrs[a.name()] = std::move(attr);
    }
    n->attrs["_opset"] = Attr::of_int(n->domain == "com.microsoft" ? g->opset_ms : g->opset);
    if (n->domain.empty()) INR_TRY(upgrade_legacy_node(*g, *n, g->opset).with_context(n->label()));
  }
  if (!unsupported.empty()) {
    std::string msg;
    for (const auto& [op, nodes] : unsupported) {
      msg += (msg.empty() ? "" : ", ") + op + " (";
      for (size_t i = 0; i < nodes.size() && i < 3; ++i) msg += (i ? ", " : "") + nodes[i];
      if (nodes.size() > 3) msg += fmt::format(", and {} more", nodes.size() - 3);
      msg += ")";
    }
    return error("unsupported ops: {}", msg);
  }
  for (const auto& out : gp.output()) {
    Value* v = g->find_value(out.name());
    if (v == nullptr) return error("graph output '{}' is not produced by any node", out.name());
    if (v->dtype == DType::kUndefined) INR_TRY(read_type(out.type(), v));
    g->outputs.push_back(v);
  }
  if (g->outputs.empty()) return error("graph has no outputs");
  INR_TRY(g->topo_sort());
  return g;
}

}  // namespace

Result<std::unique_ptr<Graph>> import_onnx_bytes(const std::string& bytes, const std::string& base_dir) {
  onnx::ModelProto model;
  if (bytes.empty()) return error("empty file, not an ONNX model");
  if (!model.ParseFromString(bytes)) return error(kNotOnnx);
  return import_model(model, base_dir);
}

Result<std::unique_ptr<Graph>> import_onnx_file(const std::string& path) {
  // Parsed straight from the file (no copy of its bytes in memory beside the protobuf's).
  INR_ASSIGN_OR_RETURN(ReadOnlyFile file, ReadOnlyFile::open(path));
  onnx::ModelProto model;
  if (file.size() == 0) return error("{}: empty file, not an ONNX model", path);
  google::protobuf::io::FileInputStream stream(file.fd());
  if (!model.ParseFromZeroCopyStream(&stream)) return error("{}: {}", path, kNotOnnx);
  auto g = import_model(model, fs::path(path).parent_path().string());
  if (!g) return g.status().with_context(path);
  return g;
}

}  // namespace inr
