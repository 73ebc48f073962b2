// The inr IR: a Graph of Nodes connected by Values (SSA: one producer per Value).
//
// Ownership: the Graph owns every Node and Value; raw pointers between them stay valid until the
// Graph is destroyed or the object is removed. Not thread-safe for mutation.
// Shapes: dims may be -1 (unknown) until the runtime specialises the graph to concrete input shapes.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "inr/status.h"
#include "inr/tensor.h"

namespace inr {

enum class Op : uint16_t {
#define INR_OP(name, domain, file) k##name,
#include "ir/op_list.def"
#undef INR_OP
  kUnknown,
};

std::string_view op_name(Op op);
std::string_view op_domain(Op op);
// Op for an ONNX (domain, op_type); "ai.onnx" and "" are the same domain. kUnknown if not listed.
Op op_from_onnx(std::string_view domain, std::string_view op_type);

struct Attr {
  enum class Kind { kUndefined, kFloat, kInt, kString, kTensor, kFloats, kInts, kStrings };
  Kind kind = Kind::kUndefined;
  float f = 0.f;
  int64_t i = 0;
  std::string s;
  Tensor t;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;

  static Attr of_float(float v);
  static Attr of_int(int64_t v);
  static Attr of_string(std::string v);
  static Attr of_tensor(Tensor v);
  static Attr of_floats(std::vector<float> v);
  static Attr of_ints(std::vector<int64_t> v);
};

struct Node;

struct Value {
  std::string name;
  DType dtype = DType::kUndefined;
  Shape shape;             // valid when has_shape; -1 marks an unknown dim
  bool has_shape = false;  // false: rank unknown
  // The ONNX dim_param of each dim of a graph input or output as imported ("batch_size"; "" where the model
  // names none); empty when the model names no dim. Kept so Session::inputs() and the exporter report the
  // model's own names.
  std::vector<std::string> dim_params;
  Tensor constant;         // defined(): an initializer or a folded constant
  Node* producer = nullptr;
  std::vector<Node*> consumers;  // maintained by Graph::rebuild_uses (a node may appear twice)

  bool is_constant() const { return constant.defined(); }
  bool shape_known() const;  // has_shape and every dim >= 0
};

struct Node {
  std::string name;
  std::string op_type;  // as imported, e.g. "Conv"
  std::string domain;   // "" for ai.onnx
  Op op = Op::kUnknown;
  std::vector<Value*> inputs;  // nullptr: omitted optional input
  std::vector<Value*> outputs;
  std::map<std::string, Attr> attrs;

  // Input i or nullptr when absent (index past the end or omitted).
  Value* input(size_t i) const { return i < inputs.size() ? inputs[i] : nullptr; }
  bool has_attr(const std::string& key) const { return attrs.count(key) != 0; }
  int64_t attr_int(const std::string& key, int64_t def) const;
  float attr_float(const std::string& key, float def) const;
  std::string attr_string(const std::string& key, const std::string& def) const;
  std::vector<int64_t> attr_ints(const std::string& key, std::vector<int64_t> def = {}) const;
  std::vector<float> attr_floats(const std::string& key, std::vector<float> def = {}) const;
  // "node conv1 (Conv)": prefix for error messages.
  std::string label() const;
};

class Graph {
 public:
  Graph() = default;
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;
  Graph(Graph&&) = default;
  Graph& operator=(Graph&&) = default;

  Value* add_value(std::string name);
  // A constant value (dtype and shape from `t`) named `hint`, or hint_1, ... when taken.
  Value* add_constant(const std::string& hint, Tensor t);
  // A graph input of the given dtype and shape, appended to `inputs`.
  Value* add_input(std::string name, DType dtype, Shape shape);
  // Unique name derived from `hint` (hint, hint_1, ...).
  Value* add_value_unique(const std::string& hint);
  Node* add_node(std::string name, std::string op_type, std::string domain, std::vector<Value*> inputs,
                 std::vector<Value*> outputs);
  Value* find_value(const std::string& name) const;
  // Renames a value and keeps the name index (find_value, add_value_unique) in step; the new name now
  // refers to `v` even if another value held it.
  void rename(Value* v, std::string name);

  // Removes a node (its outputs stay as producer-less values until unused).
  void remove_node(Node* node);
  // Every use of `from` (node inputs and graph outputs) becomes `to`.
  void replace_all_uses(Value* from, Value* to);
  // Drops nodes whose outputs nobody uses and values nobody references.
  void remove_dead();
  // Recomputes producer/consumer links from node inputs/outputs.
  void rebuild_uses();
  // Orders nodes so every input is produced earlier; fails on a cycle or an undefined input.
  Status topo_sort();
  Result<Graph> clone() const;

  const std::vector<std::unique_ptr<Node>>& nodes() const { return nodes_; }
  const std::vector<std::unique_ptr<Value>>& values() const { return values_; }
  std::vector<Value*> inputs;   // graph inputs that are not initializers
  std::vector<Value*> outputs;  // graph outputs

  int64_t ir_version = 8;
  int64_t opset = 13;         // ai.onnx opset import
  int64_t opset_ms = 0;       // com.microsoft opset import (0: not imported)
  std::string producer_name;
  std::string name;

 private:
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<std::unique_ptr<Value>> values_;
  std::map<std::string, Value*> by_name_;
  int64_t next_unique_ = 0;
};

// Values and bytes held by the graph's constants (initializers, and Constant outputs the importer turned
// into constants), per dtype: what `inr info` and `inr compare` report as parameters.
struct ConstantTotals {
  int64_t values = 0;
  size_t bytes = 0;
};
std::map<DType, ConstantTotals> constants_by_dtype(const Graph& graph);

}  // namespace inr
