#include "ir/graph.h"

#include <algorithm>
#include <queue>
#include <set>
#include <unordered_map>

namespace inr {

namespace {
struct OpInfo {
  std::string_view name, domain;
};
constexpr OpInfo kOpInfo[] = {
#define INR_OP(name, domain, file) {#name, domain},
#include "ir/op_list.def"
#undef INR_OP
};
}  // namespace

std::string_view op_name(Op op) {
  auto i = static_cast<size_t>(op);
  return i < std::size(kOpInfo) ? kOpInfo[i].name : "Unknown";
}

std::string_view op_domain(Op op) {
  auto i = static_cast<size_t>(op);
  return i < std::size(kOpInfo) ? kOpInfo[i].domain : "";
}

Op op_from_onnx(std::string_view domain, std::string_view op_type) {
  if (domain == "ai.onnx") domain = "";
  for (size_t i = 0; i < std::size(kOpInfo); ++i)
    if (kOpInfo[i].name == op_type && kOpInfo[i].domain == domain) return static_cast<Op>(i);
  return Op::kUnknown;
}

Attr Attr::of_float(float v) {
  Attr a;
  a.kind = Kind::kFloat;
  a.f = v;
  return a;
}
Attr Attr::of_int(int64_t v) {
  Attr a;
  a.kind = Kind::kInt;
  a.i = v;
  return a;
}
Attr Attr::of_string(std::string v) {
  Attr a;
  a.kind = Kind::kString;
  a.s = std::move(v);
  return a;
}
Attr Attr::of_tensor(Tensor v) {
  Attr a;
  a.kind = Kind::kTensor;
  a.t = std::move(v);
  return a;
}
Attr Attr::of_floats(std::vector<float> v) {
  Attr a;
  a.kind = Kind::kFloats;
  a.floats = std::move(v);
  return a;
}
Attr Attr::of_ints(std::vector<int64_t> v) {
  Attr a;
  a.kind = Kind::kInts;
  a.ints = std::move(v);
  return a;
}

bool Value::shape_known() const {
  if (!has_shape) return false;
  return std::all_of(shape.begin(), shape.end(), [](int64_t d) { return d >= 0; });
}

int64_t Node::attr_int(const std::string& key, int64_t def) const {
  auto it = attrs.find(key);
  return it == attrs.end() ? def : it->second.i;
}
float Node::attr_float(const std::string& key, float def) const {
  auto it = attrs.find(key);
  return it == attrs.end() ? def : it->second.f;
}
std::string Node::attr_string(const std::string& key, const std::string& def) const {
  auto it = attrs.find(key);
  return it == attrs.end() ? def : it->second.s;
}
std::vector<int64_t> Node::attr_ints(const std::string& key, std::vector<int64_t> def) const {
  auto it = attrs.find(key);
  return it == attrs.end() ? def : it->second.ints;
}
std::vector<float> Node::attr_floats(const std::string& key, std::vector<float> def) const {
  auto it = attrs.find(key);
  return it == attrs.end() ? def : it->second.floats;
}
std::string Node::label() const {
  return "node " + (name.empty() ? std::string("<unnamed>") : name) + " (" + op_type + ")";
}

Value* Graph::add_value(std::string name) {
  auto v = std::make_unique<Value>();
  v->name = std::move(name);
  Value* raw = v.get();
  if (!raw->name.empty()) by_name_[raw->name] = raw;
  values_.push_back(std::move(v));
  return raw;
}

Value* Graph::add_constant(const std::string& hint, Tensor t) {
  Value* v = add_value_unique(hint);
  v->dtype = t.dtype();
  v->shape = t.shape();
  v->has_shape = true;
  v->constant = std::move(t);
  return v;
}

Value* Graph::add_input(std::string name, DType dtype, Shape shape) {
  Value* v = add_value(std::move(name));
  v->dtype = dtype;
  v->shape = std::move(shape);
  v->has_shape = true;
  inputs.push_back(v);
  return v;
}

Value* Graph::add_value_unique(const std::string& hint) {
  std::string name = hint;
  while (by_name_.count(name)) name = hint + "_" + std::to_string(++next_unique_);
  return add_value(name);
}

Node* Graph::add_node(std::string name, std::string op_type, std::string domain, std::vector<Value*> inputs,
                      std::vector<Value*> outputs) {
  auto n = std::make_unique<Node>();
  n->name = std::move(name);
  n->op_type = std::move(op_type);
  n->domain = domain == "ai.onnx" ? "" : std::move(domain);
  n->op = op_from_onnx(n->domain, n->op_type);
  n->inputs = std::move(inputs);
  n->outputs = std::move(outputs);
  Node* raw = n.get();
  for (Value* in : raw->inputs)
    if (in) in->consumers.push_back(raw);
  for (Value* out : raw->outputs)
    if (out) out->producer = raw;
  nodes_.push_back(std::move(n));
  return raw;
}

Value* Graph::find_value(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

void Graph::rename(Value* v, std::string name) {
  auto it = by_name_.find(v->name);
  if (it != by_name_.end() && it->second == v) by_name_.erase(it);
  v->name = std::move(name);
  if (!v->name.empty()) by_name_[v->name] = v;
}

void Graph::remove_node(Node* node) {
  auto it = std::find_if(nodes_.begin(), nodes_.end(), [&](const auto& n) { return n.get() == node; });
  if (it == nodes_.end()) return;
  for (Value* in : node->inputs)
    if (in) std::erase(in->consumers, node);
  for (Value* out : node->outputs)
    if (out && out->producer == node) out->producer = nullptr;
  nodes_.erase(it);
}

void Graph::replace_all_uses(Value* from, Value* to) {
  for (Node* n : std::vector<Node*>(from->consumers))
    for (Value*& in : n->inputs)
      if (in == from) {
        in = to;
        to->consumers.push_back(n);
      }
  from->consumers.clear();
  for (Value*& out : outputs)
    if (out == from) out = to;
}

void Graph::rebuild_uses() {
  for (auto& v : values_) {
    v->consumers.clear();
    v->producer = nullptr;
  }
  for (auto& n : nodes_) {
    for (Value* in : n->inputs)
      if (in) in->consumers.push_back(n.get());
    for (Value* out : n->outputs)
      if (out) out->producer = n.get();
  }
}

void Graph::remove_dead() {
  rebuild_uses();
  std::set<const Value*> live(outputs.begin(), outputs.end());
  std::set<const Node*> keep;
  // Walk backwards from the outputs.
  std::vector<const Value*> work(outputs.begin(), outputs.end());
  while (!work.empty()) {
    const Value* v = work.back();
    work.pop_back();
    if (v->producer && keep.insert(v->producer).second)
      for (Value* in : v->producer->inputs)
        if (in && live.insert(in).second) work.push_back(in);
  }
  std::erase_if(nodes_, [&](const auto& n) { return !keep.count(n.get()); });
  for (Value* in : inputs) live.insert(in);
  for (auto& n : nodes_)
    for (Value* o : n->outputs)
      if (o) live.insert(o);
  std::erase_if(values_, [&](const auto& v) {
    if (live.count(v.get())) return false;
    auto it = by_name_.find(v->name);
    if (it != by_name_.end() && it->second == v.get()) by_name_.erase(it);
    return true;
  });
  rebuild_uses();
}

Status Graph::topo_sort() {
  rebuild_uses();
  std::unordered_map<const Node*, int> pending;
  std::vector<Node*> ready;
  for (auto& n : nodes_) {
    int count = 0;
    for (Value* in : n->inputs) {
      if (!in) continue;
      if (in->producer) {
        ++count;
      } else if (!in->is_constant() && std::find(inputs.begin(), inputs.end(), in) == inputs.end()) {
        return error("{}: input '{}' is neither a graph input, an initializer nor produced by a node",
                     n->label(), in->name);
      }
    }
    pending[n.get()] = count;
    if (count == 0) ready.push_back(n.get());
  }
  // Kahn's algorithm; among ready nodes keep the original order (stable).
  std::unordered_map<const Node*, size_t> position;
  for (size_t i = 0; i < nodes_.size(); ++i) position[nodes_[i].get()] = i;
  auto later = [&](const Node* a, const Node* b) { return position[a] > position[b]; };
  std::priority_queue<Node*, std::vector<Node*>, decltype(later)> queue(later, ready);
  std::vector<Node*> order;
  while (!queue.empty()) {
    Node* n = queue.top();
    queue.pop();
    order.push_back(n);
    for (Value* out : n->outputs) {
      if (!out) continue;
      for (Node* c : out->consumers)
        if (--pending[c] == 0) queue.push(c);
    }
  }
  if (order.size() != nodes_.size()) {
    for (auto& n : nodes_)
      if (pending[n.get()] > 0) return error("graph has a cycle through {}", n->label());
  }
  std::vector<std::unique_ptr<Node>> sorted;
  sorted.reserve(nodes_.size());
  std::unordered_map<const Node*, std::unique_ptr<Node>*> slot;
  for (auto& n : nodes_) slot[n.get()] = &n;
  for (Node* n : order) sorted.push_back(std::move(*slot[n]));
  nodes_ = std::move(sorted);
  return Status::ok();
}

Result<Graph> Graph::clone() const {
  Graph g;
  g.ir_version = ir_version;
  g.opset = opset;
  g.opset_ms = opset_ms;
  g.producer_name = producer_name;
  g.name = name;
  g.next_unique_ = next_unique_;
  std::unordered_map<const Value*, Value*> map;
  for (const auto& v : values_) {
    Value* c = g.add_value(v->name);
    c->dtype = v->dtype;
    c->shape = v->shape;
    c->has_shape = v->has_shape;
    c->dim_params = v->dim_params;
    c->constant = v->constant;  // constants are immutable once in a graph: share storage
    map[v.get()] = c;
  }
  auto m = [&](Value* v) -> Value* { return v ? map.at(v) : nullptr; };
  for (const auto& n : nodes_) {
    std::vector<Value*> ins, outs;
    for (Value* v : n->inputs) ins.push_back(m(v));
    for (Value* v : n->outputs) outs.push_back(m(v));
    Node* c = g.add_node(n->name, n->op_type, n->domain, ins, outs);
    c->op = n->op;
    c->attrs = n->attrs;
  }
  for (Value* v : inputs) g.inputs.push_back(m(v));
  for (Value* v : outputs) g.outputs.push_back(m(v));
  return g;
}

std::map<DType, ConstantTotals> constants_by_dtype(const Graph& graph) {
  std::map<DType, ConstantTotals> out;
  for (const auto& v : graph.values())
    if (v->is_constant()) {
      ConstantTotals& t = out[v->constant.dtype()];
      t.values += v->constant.numel();
      t.bytes += v->constant.bytes();
    }
  return out;
}

}  // namespace inr
