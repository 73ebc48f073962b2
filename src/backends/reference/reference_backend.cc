// The reference backend: every node runs its op's reference kernel (src/ops) on plain tensors.
// It is the oracle for every other backend and the fallback for nodes no other backend takes.
#include "backends/backend.h"
#include "ops/op_schema.h"

namespace inr {

namespace {

class ReferenceExecutable final : public Executable {
 public:
  ReferenceExecutable(Node* node, const OpSchema* schema, std::vector<Tensor*> inputs, std::vector<Tensor*> outputs)
      : node_(node), schema_(schema), inputs_(std::move(inputs)), outputs_(std::move(outputs)) {
    in_.resize(inputs_.size());
    out_.resize(outputs_.size());
  }

  Status run(Profiler* profiler) override {
    // The args are formatted on the first traced run only and reused: tracing must stay cheap.
    if (profiler && args_.empty()) args_ = node_event_args(*node_, "reference");
    ScopedEvent event(profiler, node_->name.empty() ? node_->op_type : node_->name, "node",
                      profiler ? args_ : std::string());
    // Slots never move after compile, but re-read them each run: the runtime rebinds graph inputs.
    for (size_t i = 0; i < inputs_.size(); ++i) in_[i] = inputs_[i] ? *inputs_[i] : Tensor();
    for (size_t i = 0; i < outputs_.size(); ++i) out_[i] = outputs_[i] ? *outputs_[i] : Tensor();
    return schema_->run(*node_, in_, out_).with_context(node_->label());
  }

 private:
  Node* node_;
  const OpSchema* schema_;
  std::vector<Tensor*> inputs_, outputs_;
  std::vector<Tensor> in_, out_;  // reused per run: copies of slot headers, no data copies
  std::string args_;              // trace args of this node
};

class ReferenceBackend final : public Backend {
 public:
  std::string_view name() const override { return "reference"; }
  Status supports(const Node& node) const override {
    if (op_schema(node.op) == nullptr) return error("no reference kernel for {}", node.op_type);
    return Status::ok();
  }
  bool one_node_per_partition() const override { return true; }

  Result<std::unique_ptr<Executable>> compile(const CompileRequest& req) override {
    if (req.nodes.size() != 1) return error("reference backend compiles one node per partition");
    Node* node = req.nodes[0];
    std::vector<Tensor*> ins, outs;
    for (Value* v : node->inputs) ins.push_back(v ? &(*req.slots)[req.slot_of.at(v)] : nullptr);
    for (Value* v : node->outputs) outs.push_back(v ? &(*req.slots)[req.slot_of.at(v)] : nullptr);
    return std::unique_ptr<Executable>(
        std::make_unique<ReferenceExecutable>(node, op_schema(node->op), std::move(ins), std::move(outs)));
  }
};

}  // namespace

std::unique_ptr<Backend> make_reference_backend() { return std::make_unique<ReferenceBackend>(); }

}  // namespace inr
