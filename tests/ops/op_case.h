// The op case-table framework. An OpCase describes one node (op, attributes, inputs with dtype/shape and
// explicit or seeded-random data, constant or runtime) with its own tolerance and an independent check
// of the reference kernel (hand-computed expected outputs, or a naive formula: the "oracle").
// Case tables live one per op family in tests/ops/<family>_cases.cc and are listed in case_tables.def;
// reference_test.cc checks every case against its independent check, equivalence_test.cc runs every case
// on every backend against the reference.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "inr/status.h"
#include "inr/tensor.h"
#include "ir/graph.h"
#include "ops/op_util.h"

namespace inr::test {

struct CaseInput {
  std::string name;
  DType dtype = DType::kF32;
  Shape shape;
  std::vector<double> values;  // explicit data, converted to dtype; empty: seeded random
  double lo = -1.0, hi = 1.0;  // random range (integer dtypes: integers in [lo, hi])
  bool constant = false;       // an initializer (weights, shape operands) rather than a graph input
  bool absent = false;         // an omitted optional input
};

// A naive re-implementation of the op: all inputs (undefined Tensors for absent ones) -> outputs.
using Oracle = std::function<std::vector<Tensor>(const std::vector<Tensor>& inputs)>;

struct OpCase {
  std::string name;  // unique; letters, digits and '_' (a gtest name)
  std::string op_type;
  std::string domain;  // "" for ai.onnx, "inr" for internal ops
  int64_t opset = kDefaultOpset;
  std::map<std::string, Attr> attrs;
  std::vector<CaseInput> inputs;
  int outputs = 1;
  uint32_t seed = 1;
  // This case's tolerance, |actual - expected| <= atol + rtol * |expected|, used against the independent
  // check and across backends. Integer outputs are always compared exactly.
  double rtol = 0.0;
  double atol = 0.0;
  std::vector<Tensor> expected;  // hand-computed outputs, or
  Oracle oracle;                 // a naive formula
};

// Builders for readable case tables.
CaseInput in(std::string name, Shape shape, DType dtype = DType::kF32);
CaseInput in_values(std::string name, Shape shape, std::vector<double> values, DType dtype = DType::kF32);
CaseInput constant(CaseInput input);
CaseInput absent(std::string name);
Tensor tensor(DType dtype, Shape shape, const std::vector<double>& values);

// Every input's tensor (seeded per case and input position), undefined for absent inputs.
std::vector<Tensor> case_inputs(const OpCase& c);
// A one-node graph: constant inputs are initializers, the rest graph inputs; every node output is a graph
// output. The node carries "_opset" like an imported one.
std::unique_ptr<Graph> build_graph(const OpCase& c, const std::vector<Tensor>& inputs);
// The runtime (non-constant, present) inputs, in graph-input order.
std::vector<Tensor> runtime_inputs(const OpCase& c, const std::vector<Tensor>& inputs);
// infer_node + run_reference_node on the case's one node, without the runtime.
Result<std::vector<Tensor>> run_reference(const OpCase& c);
// The Status of infer_node for the case's node (error-message tests).
Status infer_case(const OpCase& c);

// Element as double (any numeric dtype).
double element(const Tensor& t, int64_t i);
// "" when equal within tolerance (exact for integer/bool dtypes), else a one-line description.
std::string compare_tensors(const Tensor& expected, const Tensor& actual, double rtol, double atol);

// Every case of every table in case_tables.def.
const std::vector<OpCase>& all_cases();

#define INR_CASE_TABLE(name) std::vector<OpCase> name##_cases();
#include "case_tables.def"
#undef INR_CASE_TABLE

}  // namespace inr::test
