#include "op_case.h"

#include <cmath>
#include <cstring>
#include <random>

#include "core/half.h"
#include "ops/op_schema.h"

namespace inr::test {

CaseInput in(std::string name, Shape shape, DType dtype) {
  CaseInput c;
  c.name = std::move(name);
  c.shape = std::move(shape);
  c.dtype = dtype;
  return c;
}

CaseInput in_values(std::string name, Shape shape, std::vector<double> values, DType dtype) {
  CaseInput c = in(std::move(name), std::move(shape), dtype);
  c.values = std::move(values);
  return c;
}

CaseInput constant(CaseInput input) {
  input.constant = true;
  return input;
}

CaseInput absent(std::string name) {
  CaseInput c;
  c.name = std::move(name);
  c.absent = true;
  return c;
}

namespace {
void store(Tensor& t, int64_t i, double v) {
  switch (t.dtype()) {
    case DType::kF32: t.data<float>()[i] = static_cast<float>(v); break;
    case DType::kF64: t.data<double>()[i] = v; break;
    case DType::kF16: t.data<uint16_t>()[i] = f32_to_f16(static_cast<float>(v)); break;
    case DType::kBF16: t.data<uint16_t>()[i] = f32_to_bf16(static_cast<float>(v)); break;
    case DType::kI8: t.data<int8_t>()[i] = static_cast<int8_t>(v); break;
    case DType::kU8: t.data<uint8_t>()[i] = static_cast<uint8_t>(v); break;
    case DType::kI16: t.data<int16_t>()[i] = static_cast<int16_t>(v); break;
    case DType::kU16: t.data<uint16_t>()[i] = static_cast<uint16_t>(v); break;
    case DType::kI32: t.data<int32_t>()[i] = static_cast<int32_t>(v); break;
    case DType::kI64: t.data<int64_t>()[i] = static_cast<int64_t>(v); break;
    case DType::kBool: t.data<uint8_t>()[i] = v != 0.0; break;
    case DType::kI4:
    case DType::kU4: {  // packed two per byte, element i in nibble i % 2 (low first)
      uint8_t& byte = t.data<uint8_t>()[i / 2];
      const int shift = 4 * static_cast<int>(i % 2);
      const auto nib = static_cast<uint8_t>(static_cast<int>(v) & 0xf);
      byte = static_cast<uint8_t>((byte & ~(0xf << shift)) | (nib << shift));
      break;
    }
    default: break;
  }
}
}  // namespace

Tensor tensor(DType dtype, Shape shape, const std::vector<double>& values) {
  Tensor t = Tensor::zeros(dtype, std::move(shape));  // zeros: a packed 4-bit tensor's pad nibble is 0
  for (int64_t i = 0; i < t.numel(); ++i) store(t, i, values.at(static_cast<size_t>(i)));
  return t;
}

double element(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::kF32: return t.data<float>()[i];
    case DType::kF64: return t.data<double>()[i];
    case DType::kF16: return f16_to_f32(t.data<uint16_t>()[i]);
    case DType::kBF16: return bf16_to_f32(t.data<uint16_t>()[i]);
    case DType::kI8: return t.data<int8_t>()[i];
    case DType::kU8: return t.data<uint8_t>()[i];
    case DType::kI16: return t.data<int16_t>()[i];
    case DType::kU16: return t.data<uint16_t>()[i];
    case DType::kI32: return t.data<int32_t>()[i];
    case DType::kI64: return static_cast<double>(t.data<int64_t>()[i]);
    case DType::kBool: return t.data<uint8_t>()[i];
    case DType::kU4: return (t.data<uint8_t>()[i / 2] >> (4 * (i % 2))) & 0xf;
    case DType::kI4: {
      const int nib = (t.data<uint8_t>()[i / 2] >> (4 * (i % 2))) & 0xf;
      return nib >= 8 ? nib - 16 : nib;
    }
    default: return NAN;
  }
}

std::vector<Tensor> case_inputs(const OpCase& c) {
  std::vector<Tensor> out;
  for (size_t k = 0; k < c.inputs.size(); ++k) {
    const CaseInput& ci = c.inputs[k];
    if (ci.absent) {
      out.emplace_back();
      continue;
    }
    if (!ci.values.empty()) {
      out.push_back(tensor(ci.dtype, ci.shape, ci.values));
      continue;
    }
    // Seeded per case and input position: adding a case never changes another case's data.
    std::mt19937 rng(c.seed * 1000u + static_cast<uint32_t>(k));
    Tensor t = Tensor::zeros(ci.dtype, ci.shape);
    if (dtype_is_float(ci.dtype)) {
      std::uniform_real_distribution<double> dist(ci.lo, ci.hi);
      for (int64_t i = 0; i < t.numel(); ++i) store(t, i, dist(rng));
    } else {
      std::uniform_int_distribution<int64_t> dist(static_cast<int64_t>(ci.lo), static_cast<int64_t>(ci.hi));
      for (int64_t i = 0; i < t.numel(); ++i) store(t, i, static_cast<double>(dist(rng)));
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::unique_ptr<Graph> build_graph(const OpCase& c, const std::vector<Tensor>& inputs) {
  auto g = std::make_unique<Graph>();
  g->opset = c.opset;
  std::vector<Value*> ins;
  for (size_t k = 0; k < c.inputs.size(); ++k) {
    const CaseInput& ci = c.inputs[k];
    if (ci.absent) {
      ins.push_back(nullptr);
      continue;
    }
    Value* v = g->add_value(ci.name);
    v->dtype = ci.dtype;
    v->shape = ci.shape;
    v->has_shape = true;
    if (ci.constant) {
      v->constant = inputs[k];
    } else {
      g->inputs.push_back(v);
    }
    ins.push_back(v);
  }
  std::vector<Value*> outs;
  for (int i = 0; i < c.outputs; ++i) outs.push_back(g->add_value(c.name + "_out" + std::to_string(i)));
  Node* n = g->add_node(c.name, c.op_type, c.domain, ins, outs);
  n->attrs = c.attrs;
  n->attrs["_opset"] = Attr::of_int(c.opset);
  g->outputs = outs;
  return g;
}

std::vector<Tensor> runtime_inputs(const OpCase& c, const std::vector<Tensor>& inputs) {
  std::vector<Tensor> out;
  for (size_t k = 0; k < c.inputs.size(); ++k)
    if (!c.inputs[k].absent && !c.inputs[k].constant) out.push_back(inputs[k]);
  return out;
}

Result<std::vector<Tensor>> run_reference(const OpCase& c) {
  std::vector<Tensor> inputs = case_inputs(c);
  std::unique_ptr<Graph> g = build_graph(c, inputs);
  Node& node = *g->nodes().front();
  INR_TRY(infer_node(node));
  return run_reference_node(node, inputs);
}

Status infer_case(const OpCase& c) {
  std::unique_ptr<Graph> g = build_graph(c, case_inputs(c));
  return infer_node(*g->nodes().front());
}

std::string compare_tensors(const Tensor& expected, const Tensor& actual, double rtol, double atol) {
  if (expected.dtype() != actual.dtype())
    return fmt::format("dtype {} expected {}", dtype_name(actual.dtype()), dtype_name(expected.dtype()));
  if (expected.shape() != actual.shape())
    return fmt::format("shape {} expected {}", shape_str(actual.shape()), shape_str(expected.shape()));
  bool exact = !dtype_is_float(expected.dtype());
  int64_t bad = 0, first = -1;
  double worst = 0;
  for (int64_t i = 0; i < expected.numel(); ++i) {
    double e = element(expected, i), a = element(actual, i);
    if (std::isnan(e) && std::isnan(a)) continue;
    double err = std::abs(a - e);
    bool ok = exact ? a == e : (a == e || err <= atol + rtol * std::abs(e));
    if (!ok) {
      if (first < 0) first = i;
      ++bad;
      worst = std::max(worst, err);
    }
  }
  if (bad == 0) return "";
  return fmt::format("{} of {} elements differ (first [{}]: {} vs expected {}; max abs error {:.3g}; rtol {} atol {})",
                     bad, expected.numel(), first, element(actual, first), element(expected, first), worst, rtol, atol);
}

const std::vector<OpCase>& all_cases() {
  static const std::vector<OpCase> cases = [] {
    std::vector<OpCase> all;
    auto append = [&all](std::vector<OpCase> v) {
      for (OpCase& c : v) all.push_back(std::move(c));
    };
#define INR_CASE_TABLE(name) append(name##_cases());
#include "case_tables.def"
#undef INR_CASE_TABLE
    return all;
  }();
  return cases;
}

}  // namespace inr::test
