// Session: load -> (per input-shape set: specialise + passes -> partition -> plan memory -> compile) -> run.
// Logging (core/log.h): info = one line per step (model, threads, passes, placement, memory, compile);
// debug = also one line per node placed, with the reason it went to that backend.
#include "inr/session.h"
#include "ops/quant_util.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <unordered_set>

#include <sys/stat.h>

#include <fmt/format.h>

#include "backends/backend.h"
#include "backends/onednn/onednn_backend.h"
#include "backends/systolic/systolic_backend.h"
#include "core/arena.h"
#include "core/log.h"
#include "core/profiler.h"
#include "onnx/onnx_io.h"
#include "passes/passes.h"

namespace inr {

namespace {

std::string shapes_str(std::span<const Shape> shapes) {
  std::string s;
  for (const Shape& shape : shapes) s += (s.empty() ? "" : " ") + shape_str(shape);
  return s.empty() ? std::string("(no inputs)") : s;
}

std::string mib(size_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  if (bytes < (1 << 20)) return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / 1024);
  return fmt::format("{:.2f} MiB", static_cast<double>(bytes) / (1 << 20));
}

// One specialisation of the graph for a set of concrete input shapes.
struct Plan {
  std::unique_ptr<Graph> graph;
  std::vector<Tensor> slots;
  Arena arena;
  std::vector<std::unique_ptr<Executable>> executables;
  std::vector<std::string> executable_backend;
  std::vector<std::vector<std::string>> executable_nodes;  // node labels per executable
  std::vector<int> input_slots, output_slots;
  std::map<std::string, int> nodes_per_backend;
  size_t internal_bytes = 0;
  size_t released_bytes = 0;  // graph constants released once every consumer's backend had copied them
  std::vector<std::pair<int, Tensor>> bound_values;  // (graph input index, the value the plan was built for)
  // Values computed from the data that this plan's shapes depend on (passes.h find_runtime_values):
  // a probe plan computes the next ones (its outputs are those values, in this order); a plan with
  // `runtime_bound` was specialised to such values, so every run resolves its plan by running the probes.
  std::vector<std::string> probe_values;
  bool runtime_bound = false;
};

// A shape may depend on values computed from the data in stages (a value whose own producer's shapes depend
// on an earlier one): at most this many.
constexpr int kMaxRuntimeStages = 8;

// Integer graph inputs of rank <= 1 with at most this many elements are values the graph's shapes may
// depend on (a Reshape's shape, Pad's pads, Slice's starts fed by the caller): the plan is specialised to
// their values as well as to the input shapes, so shape inference sees them as constants. Anything larger
// or of another type is data.
constexpr int64_t kMaxValueInputElements = 64;

bool is_value_input(DType dtype, const Shape& shape) {
  return (dtype == DType::kI64 || dtype == DType::kI32) && shape.size() <= 1 &&
         shape_numel(shape) <= kMaxValueInputElements;
}

// The plan key: the input shapes, then the values of the value inputs (as int64) in input order.
std::vector<Shape> plan_key(std::span<const Tensor> inputs, const std::vector<IoInfo>& declared) {
  std::vector<Shape> key;
  for (const Tensor& t : inputs) key.push_back(t.shape());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    if (t.dtype() != declared[i].dtype || !is_value_input(t.dtype(), t.shape())) continue;
    Shape values(static_cast<size_t>(t.numel()));
    for (int64_t i = 0; i < t.numel(); ++i)
      values[i] = t.dtype() == DType::kI64 ? t.data<int64_t>()[i] : t.data<int32_t>()[i];
    key.push_back(std::move(values));
  }
  return key;
}

IoInfo io_info(const Value& v) {
  IoInfo info{v.name, v.dtype, v.has_shape ? v.shape : Shape{}, {}};
  // Names only for dims still dynamic and only when they line up with the shape (a pass may have
  // re-inferred it).
  if (v.has_shape && v.dim_params.size() == v.shape.size()) {
    info.dim_params = v.dim_params;
    for (size_t i = 0; i < info.shape.size(); ++i)
      if (info.shape[i] >= 0) info.dim_params[i].clear();
  }
  return info;
}

// What identifies the file a session was loaded from: a re-read for another plan must find the same file.
struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  int64_t mtime_ns = 0;
  bool operator==(const FileId&) const = default;
};

Result<FileId> file_id(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return error("{}: {}", path, std::strerror(errno));
  return FileId{st.st_dev, st.st_ino, st.st_size, int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec};
}

}  // namespace

struct Session::Impl {
  // The imported graph; null once a plan took it (a session loaded from a file: see source_graph()).
  std::unique_ptr<Graph> graph;
  std::string model_path;  // set by load(): the weights can be read again
  FileId model_id;
  SessionOptions options;
  std::vector<std::unique_ptr<Backend>> backends;  // in preference order
  std::vector<IoInfo> inputs, outputs;
  std::map<std::vector<Shape>, std::unique_ptr<Plan>> plans;
  Plan* last_plan = nullptr;  // the plan of the previous run: found without building a key
  std::mutex mutex;

  Result<Plan*> plan_for(std::span<const Shape> shapes);
  Result<std::unique_ptr<Plan>> build_plan(std::span<const Shape> shapes);
  // The plan for these inputs (checked against the model's inputs): the last one when the shapes and
  // bound values are the same, otherwise found or built by key, running the probes first when shapes
  // depend on values computed from the data.
  Result<Plan*> plan_for_inputs(std::span<const Tensor> inputs);
  Status execute(Plan& plan, std::span<const Tensor> inputs);
  // Shape-only queries cannot see past a probe: the names of the values it computes, for messages.
  static std::string runtime_names(const Plan& plan);
  Result<std::unique_ptr<Graph>> source_graph(const std::string& for_shapes);
};

// Weights are held once (issue #16). A plan's passes fold and its backends reorder the weights; keeping the
// imported graph for the next plan would hold them twice more. So a session loaded from a file gives its
// graph to the first plan and reads the file again for each later set of input shapes (another batch size);
// only a session made from a graph in memory keeps that graph and gives each plan a copy that shares its
// tensors.
Result<std::unique_ptr<Graph>> Session::Impl::source_graph(const std::string& for_shapes) {
  if (graph && model_path.empty()) {
    INR_ASSIGN_OR_RETURN(Graph g, graph->clone());
    return std::make_unique<Graph>(std::move(g));
  }
  if (graph) return std::move(graph);
  INR_ASSIGN_OR_RETURN(FileId now, file_id(model_path));
  if (!(now == model_id))
    return error("{}: the model file changed since the session loaded it; load it again to run input shapes {}",
                 model_path, for_shapes);
  log_info("reading {} again for input shapes {} (the weights of a plan are held once, by its backends)",
           model_path, for_shapes);
  INR_ASSIGN_OR_RETURN(std::unique_ptr<Graph> g, import_onnx_file(model_path));
  INR_TRY(g->topo_sort());
  INR_TRY(check_constant_inputs(*g));
  return g;
}

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::~Session() = default;

Result<std::unique_ptr<Session>> Session::load(const std::string& onnx_path, const SessionOptions& options) {
  ScopedEvent event(options.profiler, "load " + onnx_path, "session");
  INR_ASSIGN_OR_RETURN(FileId id, file_id(onnx_path));
  INR_ASSIGN_OR_RETURN(std::unique_ptr<Graph> graph, import_onnx_file(onnx_path));
  log_info("model {}: {} nodes, {} values, opset {}{}", onnx_path, graph->nodes().size(), graph->values().size(),
           graph->opset, graph->opset_ms ? fmt::format(" + com.microsoft {}", graph->opset_ms) : "");
  INR_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, create(std::move(graph), options));
  session->impl_->model_path = onnx_path;
  session->impl_->model_id = id;
  return session;
}

Result<std::unique_ptr<Session>> Session::create(std::unique_ptr<Graph> graph, const SessionOptions& options) {
  if (options.threads < 0 || options.threads > kMaxSessionThreads)
    return error("threads: {} is not between 0 (the default) and {}", options.threads, kMaxSessionThreads);
  auto impl = std::make_unique<Impl>();
  if (options.backend.rfind("systolic", 0) == 0) {
    INR_ASSIGN_OR_RETURN(systolic::Mode mode, systolic::parse_backend_name(options.backend));
    systolic::BackendOptions so{mode, systolic::default_config()};
    so.nhwc_fusion = options.opt_level >= 99;  // the runner's -O 99
    if (!options.systolic_config.empty()) {
      INR_ASSIGN_OR_RETURN(so.config, systolic::load_config(options.systolic_config));
    }
    impl->backends.push_back(systolic::make_systolic_backend(so));
    impl->backends.push_back(make_onednn_backend());
  } else if (options.backend == "auto" || options.backend == "onednn") {
    impl->backends.push_back(make_onednn_backend());
  } else if (options.backend != "reference") {
    return error("unknown backend '{}' (expected auto, reference, onednn, systolic-cpu, systolic-os or systolic-ws)",
                 options.backend);
  }
  impl->backends.push_back(make_reference_backend());
  if (options.threads > 0) omp_set_num_threads(options.threads);
  if (log_enabled(LogLevel::kInfo)) {
    std::string names;
    for (const auto& b : impl->backends) names += (names.empty() ? "" : ", ") + std::string(b->name());
    log_info("session: backends {} (in order of preference), opt level {}, {} thread{} ({})", names,
             options.opt_level, omp_get_max_threads(), omp_get_max_threads() == 1 ? "" : "s",
             options.threads > 0 ? "asked for" : "OMP_NUM_THREADS or all cores");
  }
  INR_TRY(graph->topo_sort());
  INR_TRY(check_constant_inputs(*graph));
  for (const Value* v : graph->inputs) {
    if (v->dtype == DType::kUndefined) return error("graph input '{}' has no tensor type", v->name);
    impl->inputs.push_back(io_info(*v));
  }
  for (const Value* v : graph->outputs) impl->outputs.push_back(io_info(*v));
  impl->graph = std::move(graph);
  impl->options = options;
  return std::unique_ptr<Session>(new Session(std::move(impl)));
}

const std::vector<IoInfo>& Session::inputs() const { return impl_->inputs; }
const std::vector<IoInfo>& Session::outputs() const { return impl_->outputs; }

Result<std::unique_ptr<Plan>> Session::Impl::build_plan(std::span<const Shape> shapes) {
  Profiler* prof = options.profiler;
  const auto start = std::chrono::steady_clock::now();
  const std::string for_shapes = shapes_str(shapes);
  log_info("compile for input shapes {}", for_shapes);
  auto plan = std::make_unique<Plan>();
  {
    ScopedEvent event(prof, "passes", "session", fmt::format(R"({{"opt_level": {}}})", options.opt_level));
    INR_ASSIGN_OR_RETURN(plan->graph, source_graph(for_shapes));
    // A key longer than the inputs carries the values of the value inputs (plan_key); a shape-only query
    // (output_shapes) leaves them unknown, which is enough unless a shape depends on them.
    const size_t n_inputs = plan->graph->inputs.size();
    INR_TRY(bind_input_shapes(*plan->graph, shapes.subspan(0, std::min(n_inputs, shapes.size()))));
    for (size_t i = 0, next = n_inputs; i < n_inputs && shapes.size() > n_inputs; ++i) {
      Value* v = plan->graph->inputs[i];
      if (!is_value_input(v->dtype, v->shape)) continue;
      if (next >= shapes.size()) return error("internal: plan key lacks the value of input '{}'", v->name);
      const Shape& values = shapes[next++];
      Tensor t = Tensor::empty(v->dtype, v->shape);
      for (size_t k = 0; k < values.size(); ++k) {
        if (v->dtype == DType::kI64) t.data<int64_t>()[k] = values[k];
        else t.data<int32_t>()[k] = static_cast<int32_t>(values[k]);
      }
      v->constant = t;
      plan->bound_values.emplace_back(static_cast<int>(i), std::move(t));
    }
    if (!plan->bound_values.empty())
      log_info("plan specialised to the values of {} integer input{}", plan->bound_values.size(),
               plan->bound_values.size() == 1 ? "" : "s");
    // Shapes that depend on values computed from the data: the key carries those already computed (in the
    // order of the stages); the first stage it lacks makes this plan a probe that computes them.
    size_t next = n_inputs + plan->bound_values.size();
    for (int stage = 0;; ++stage) {
      INR_ASSIGN_OR_RETURN(Graph probe, plan->graph->clone());
      INR_TRY(compute_fp16_in_fp32(probe));
      INR_ASSIGN_OR_RETURN(std::vector<RuntimeValue> needed, find_runtime_values(probe));
      if (needed.empty()) break;
      if (stage == kMaxRuntimeStages)
        return error("shapes depend on values computed from the data in more than {} stages", kMaxRuntimeStages);
      std::string names;
      for (const RuntimeValue& r : needed) names += fmt::format("{}'{}'", names.empty() ? "" : ", ", r.name);
      if (next + needed.size() > shapes.size()) {
        plan->graph->outputs.clear();
        for (const RuntimeValue& r : needed) {
          plan->graph->outputs.push_back(plan->graph->find_value(r.name));
          plan->probe_values.push_back(r.name);
        }
        plan->graph->remove_dead();  // what only the rest of the graph needs (the Pad these pads feed)
        log_info("shapes depend on {} (computed from the data): this plan computes them, then a plan per value", names);
        break;
      }
      std::string values;
      for (const RuntimeValue& r : needed) {
        const Shape& key = shapes[next++];
        if (static_cast<int64_t>(key.size()) != shape_numel(r.shape))
          return error("internal: plan key has {} values for '{}' of shape {}", key.size(), r.name, shape_str(r.shape));
        Tensor t = Tensor::empty(r.dtype, r.shape);
        for (size_t k = 0; k < key.size(); ++k) {
          if (r.dtype == DType::kI64) t.data<int64_t>()[k] = key[k];
          else t.data<int32_t>()[k] = static_cast<int32_t>(key[k]);
        }
        plan->graph->find_value(r.name)->constant = std::move(t);
        values += fmt::format("{}{}={}", values.empty() ? "" : ", ", r.name, shape_str(key));
      }
      plan->runtime_bound = true;
      log_info("plan specialised to values computed from the data: {}", values);
    }
    INR_TRY(optimize(*plan->graph, options.opt_level));
  }
  Graph& g = *plan->graph;
  ScopedEvent event(prof, "compile", "session");

  // Slots: one per value.
  std::unordered_map<const Value*, int> slot_of;
  for (const auto& v : g.values()) {
    slot_of[v.get()] = static_cast<int>(plan->slots.size());
    plan->slots.push_back(v->is_constant() ? v->constant : Tensor());
  }

  // Partition: nodes in order, each to the first backend that supports it; consecutive nodes of one
  // backend share a partition unless the backend wants one node each. Nodes whose outputs are all
  // known constants need not run.
  struct Part {
    Backend* backend;
    std::vector<Node*> nodes;
  };
  std::vector<Part> parts;
  std::map<std::string, int> fallback_ops;  // op -> nodes that a preferred backend refused
  for (const auto& up : g.nodes()) {
    Node* n = up.get();
    bool all_const = std::all_of(n->outputs.begin(), n->outputs.end(), [](const Value* v) { return !v || v->is_constant(); });
    if (all_const) {
      log_debug("place {}: not run, its outputs are constant", n->label());
      continue;
    }
    Backend* chosen = nullptr;
    std::string refusals;  // "onednn: <why>; " for each backend tried before the chosen one
    for (auto& b : backends) {
      Status s = b->supports(*n);
      if (s) {
        chosen = b.get();
        break;
      }
      refusals += fmt::format("{}{} does not support it: {}", refusals.empty() ? "" : "; ", b->name(), s.message());
    }
    if (chosen == nullptr) return error("{}: no backend can run this node ({})", n->label(), refusals);
    if (!refusals.empty()) fallback_ops[n->op_type]++;
    if (log_enabled(LogLevel::kDebug)) {
      const std::string why = !refusals.empty()       ? refusals
                              : backends.size() == 1 ? std::string("the only backend of this session")
                                                     : std::string("the first backend, and it supports it");
      log_debug("place {} -> {} ({})", n->label(), chosen->name(), why);
    }
    plan->nodes_per_backend[std::string(chosen->name())]++;
    if (parts.empty() || parts.back().backend != chosen || chosen->one_node_per_partition())
      parts.push_back({chosen, {}});
    parts.back().nodes.push_back(n);
  }

  // Which partition produces / last reads each value.
  std::unordered_map<const Value*, int> producer_part, last_part;
  for (int p = 0; p < static_cast<int>(parts.size()); ++p)
    for (Node* n : parts[p].nodes) {
      for (Value* v : n->outputs)
        if (v) {
          producer_part[v] = p;
          last_part.emplace(v, p);  // an output nobody reads lives for its own step only
        }
      for (Value* v : n->inputs)
        if (v) last_part[v] = std::max(last_part.count(v) ? last_part[v] : p, p);
    }
  const int end_step = static_cast<int>(parts.size());
  for (Value* v : g.outputs) last_part[v] = end_step;
  for (Value* v : g.inputs) producer_part[v] = -1;

  // External values of each partition, and the arena for the non-constant ones.
  std::vector<std::unordered_set<const Value*>> external(parts.size());
  std::unordered_set<const Value*> needs_slot;
  for (int p = 0; p < static_cast<int>(parts.size()); ++p) {
    for (Node* n : parts[p].nodes) {
      for (Value* v : n->inputs) {
        if (!v) continue;
        if (v->is_constant() || producer_part[v] != p) external[p].insert(v);
      }
      for (Value* v : n->outputs) {
        if (!v) continue;
        bool used_outside = last_part[v] != p || std::find(g.outputs.begin(), g.outputs.end(), v) != g.outputs.end();
        for (Node* c : v->consumers)
          if (std::find(parts[p].nodes.begin(), parts[p].nodes.end(), c) == parts[p].nodes.end()) used_outside = true;
        if (used_outside) external[p].insert(v);
      }
    }
    for (const Value* v : external[p])
      if (!v->is_constant()) needs_slot.insert(v);
    // Outputs that nothing reads still get written (a reference kernel writes every output it has): they get a
    // slot too. The fuzzer found DynamicQuantizeLinear writing y_scale through an empty tensor.
    for (Node* n : parts[p].nodes)
      for (Value* v : n->outputs)
        if (v && !v->is_constant() && v->consumers.empty()) needs_slot.insert(v);
  }
  for (Value* v : g.inputs) needs_slot.insert(v);
  for (Value* v : g.outputs)
    if (!v->is_constant()) needs_slot.insert(v);
  std::vector<const Value*> planned(needs_slot.begin(), needs_slot.end());
  std::sort(planned.begin(), planned.end(), [&](const Value* a, const Value* b) { return slot_of[a] < slot_of[b]; });
  std::vector<BufferLifetime> lifetimes;
  for (const Value* v : planned) {
    if (!v->shape_known() || v->dtype == DType::kUndefined)
      return error("value '{}' has no inferred shape", v->name);
    int first = producer_part.count(v) ? producer_part[v] : -1;
    int last = last_part.count(v) ? last_part[v] : first;
    lifetimes.push_back({dtype_bytes(v->dtype, shape_numel(v->shape)), first + 1, std::max(first, last) + 1});
  }
  ArenaPlan ap = plan_arena(lifetimes);
  plan->arena = Arena(ap.total_bytes);
  if (log_enabled(LogLevel::kInfo)) {
    std::string placed, fell;
    for (const auto& [backend, count] : plan->nodes_per_backend) placed += fmt::format(", {} on {}", count, backend);
    for (const auto& [op, count] : fallback_ops) fell += fmt::format("{}{} {}", fell.empty() ? "" : ", ", count, op);
    log_info("placement: {} partition{}{}{}", parts.size(), parts.size() == 1 ? "" : "s", placed,
             fell.empty() ? "" : " (refused by a preferred backend: " + fell + "; -d 0 says why)");
    size_t unplanned = 0;
    for (const BufferLifetime& l : lifetimes) unplanned += l.bytes;
    log_info("memory: arena {} for {} tensors between partitions and graph I/O (liveness-planned; their sizes "
             "add up to {})",
             mib(ap.total_bytes), lifetimes.size(), mib(unplanned));
  }
  for (size_t i = 0; i < planned.size(); ++i)
    plan->slots[slot_of[planned[i]]] = Tensor::wrap(planned[i]->dtype, planned[i]->shape, plan->arena.data() + ap.offsets[i]);

  // Constants a backend copies are released as soon as every node that reads them has been compiled by a
  // backend that said it holds its own copy (CompileRequest::constant_copied): the plain weights do not stay
  // alive beside the reordered ones. Graph outputs and constants of nodes that are not run are kept.
  std::unordered_map<const Value*, std::pair<Value*, std::unordered_set<const Node*>>> readers;
  for (const Part& part : parts)
    for (Node* n : part.nodes)
      for (Value* v : n->inputs)
        if (v && v->is_constant()) {
          auto& r = readers[v];
          r.first = v;
          r.second.insert(n);
        }
  for (const Value* v : g.outputs) readers.erase(v);
  auto constant_copied = [&](const Node& n, const Value& v) {
    auto it = readers.find(&v);
    if (it == readers.end() || it->second.second.erase(&n) == 0 || !it->second.second.empty()) return;
    Value* owned = it->second.first;
    plan->released_bytes += owned->constant.bytes();
    plan->slots[slot_of[owned]] = Tensor();
    owned->constant = Tensor();
    readers.erase(it);
  };
  for (int p = 0; p < static_cast<int>(parts.size()); ++p) {
    CompileRequest req;
    req.constant_copied = constant_copied;
    req.compact_weights = options.compact_weights;
    req.graph = &g;
    req.nodes = parts[p].nodes;
    for (Node* n : parts[p].nodes) {
      for (Value* v : n->inputs)
        if (v) req.slot_of[v] = slot_of[v];
      for (Value* v : n->outputs)
        if (v) req.slot_of[v] = slot_of[v];
    }
    req.external = external[p];
    req.slots = &plan->slots;
    auto exe = parts[p].backend->compile(req);
    if (!exe) return exe.status().with_context(std::string(parts[p].backend->name()) + " backend");
    plan->internal_bytes += (*exe)->internal_bytes();
    plan->executables.push_back(std::move(exe.value()));
    plan->executable_backend.emplace_back(parts[p].backend->name());
    std::vector<std::string> labels;
    for (const Node* n : parts[p].nodes) labels.push_back(n->name.empty() ? n->op_type : n->name);
    log_debug("partition {}: {}, {} node{}, {} internal", p, parts[p].backend->name(), parts[p].nodes.size(),
              parts[p].nodes.size() == 1 ? "" : "s", mib(plan->executables.back()->internal_bytes()));
    plan->executable_nodes.push_back(std::move(labels));
  }
  for (Value* v : g.inputs) plan->input_slots.push_back(slot_of[v]);
  for (Value* v : g.outputs) plan->output_slots.push_back(slot_of[v]);
  log_info("compiled for {} in {:.1f} ms: {} executables, backend buffers {} (activations, reordered weights); "
           "{} of graph constants released once their backends held copies",
           for_shapes,
           std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count(),
           plan->executables.size(), mib(plan->internal_bytes), mib(plan->released_bytes));
  return plan;
}

Result<Plan*> Session::Impl::plan_for(std::span<const Shape> shapes) {
  std::vector<Shape> key(shapes.begin(), shapes.end());
  auto it = plans.find(key);
  if (it != plans.end()) return it->second.get();
  INR_ASSIGN_OR_RETURN(std::unique_ptr<Plan> plan, build_plan(shapes));
  Plan* raw = plan.get();
  plans[key] = std::move(plan);
  return raw;
}

std::string Session::Impl::runtime_names(const Plan& plan) {
  std::string names;
  for (const std::string& n : plan.probe_values) names += fmt::format("{}'{}'", names.empty() ? "" : ", ", n);
  return names + " (computed from the data at run time)";
}

Status Session::Impl::execute(Plan& plan, std::span<const Tensor> inputs) {
  // omp_set_num_threads sets the calling thread's setting only: a run from another thread than the one
  // that created the session (a Python thread, a server worker) would otherwise use every core.
  if (options.threads > 0 && omp_get_max_threads() != options.threads) omp_set_num_threads(options.threads);
  ScopedEvent event(options.profiler, plan.probe_values.empty() ? "run" : "run probe", "run");
  for (size_t i = 0; i < inputs.size(); ++i) {
    Tensor& slot = plan.slots[plan.input_slots[i]];
    std::memcpy(slot.raw(), inputs[i].raw(), slot.bytes());
  }
  for (auto& exe : plan.executables) INR_TRY(exe->run(options.profiler));
  return Status::ok();
}

Result<Plan*> Session::Impl::plan_for_inputs(std::span<const Tensor> in) {
  if (in.size() != inputs.size()) return error("model has {} inputs, got {}", inputs.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i)
    if (in[i].dtype() != inputs[i].dtype)
      return error("input '{}': dtype {}, the model expects {}", inputs[i].name, dtype_name(in[i].dtype()),
                   dtype_name(inputs[i].dtype));
  // Steady state: the same shapes as last time, recognised by comparing against the last plan's input
  // slots, so no key is built and nothing is allocated.
  Plan* plan = last_plan;
  if (plan && plan->runtime_bound) plan = nullptr;  // its key holds values only the probes compute
  for (size_t i = 0; plan && i < in.size(); ++i)
    if (plan->slots[plan->input_slots[i]].shape() != in[i].shape()) plan = nullptr;
  for (size_t i = 0; plan && i < plan->bound_values.size(); ++i) {
    const auto& [input, value] = plan->bound_values[i];
    if (std::memcmp(in[input].raw(), value.raw(), value.bytes()) != 0) plan = nullptr;
  }
  if (plan) return plan;
  std::vector<Shape> key = plan_key(in, inputs);
  for (;;) {
    INR_ASSIGN_OR_RETURN(plan, plan_for(key));
    if (plan->probe_values.empty()) break;
    // A probe: run it and append the values it computed to the key (build_plan's stage order).
    INR_TRY(execute(*plan, in));
    for (int s : plan->output_slots) {
      const Tensor& t = plan->slots[s];
      Shape values(static_cast<size_t>(t.numel()));
      for (int64_t k = 0; k < t.numel(); ++k)
        values[k] = t.dtype() == DType::kI64 ? t.data<int64_t>()[k] : t.data<int32_t>()[k];
      key.push_back(std::move(values));
    }
  }
  last_plan = plan;
  return plan;
}

Result<std::vector<Shape>> Session::output_shapes(std::span<const Shape> input_shapes) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  INR_ASSIGN_OR_RETURN(Plan* plan, impl_->plan_for(input_shapes));
  if (!plan->probe_values.empty())
    return error("the output shapes are known only at run time: the model's shapes depend on {}",
                 Impl::runtime_names(*plan));
  std::vector<Shape> out;
  for (int s : plan->output_slots) out.push_back(plan->slots[s].shape());
  return out;
}

Result<Session::AcceleratorCost> Session::accelerator_cost(std::span<const Shape> input_shapes) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  INR_ASSIGN_OR_RETURN(Plan* plan, impl_->plan_for(input_shapes));
  AcceleratorCost out;
  int64_t pes = 0;
  for (const auto& exe : plan->executables) {
    systolic::ExecutableCost c = systolic::systolic_executable_cost(*exe);
    if (c.nodes == 0) continue;
    out.cycles += c.cost.cycles;
    out.macs += c.cost.macs;
    out.dma_bytes += c.cost.dma_in_bytes + c.cost.dma_out_bytes;
    out.nodes += c.nodes;
    out.clock_hz = c.config.clock_hz;
    pes = int64_t{c.config.dim} * c.config.dim;
  }
  if (out.cycles > 0 && pes > 0)
    out.utilization = static_cast<double>(out.macs) / (static_cast<double>(pes) * static_cast<double>(out.cycles));
  return out;
}

Result<std::string> Session::placement_summary(std::span<const Shape> input_shapes) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  INR_ASSIGN_OR_RETURN(Plan* plan, impl_->plan_for(input_shapes));
  std::string s;
  for (const auto& [backend, count] : plan->nodes_per_backend)
    s += fmt::format("{}{}: {} node{}", s.empty() ? "" : ", ", backend, count, count == 1 ? "" : "s");
  if (s.empty()) s = "no nodes (all constant)";
  return plan->probe_values.empty() ? s : fmt::format("{}, then a plan per value of {}", s, Impl::runtime_names(*plan));
}

Result<std::vector<std::string>> Session::kernels(std::span<const Shape> input_shapes) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  INR_ASSIGN_OR_RETURN(Plan* plan, impl_->plan_for(input_shapes));
  std::vector<std::string> out;
  for (size_t i = 0; i < plan->executables.size(); ++i) {
    if (plan->executable_backend[i] == "onednn") {
      for (const std::string& k : onednn_executable_stats(*plan->executables[i]).impls) out.push_back("node " + k);
    } else {
      for (const std::string& n : plan->executable_nodes[i])
        out.push_back(fmt::format("node {}: {}", n, plan->executable_backend[i]));
    }
  }
  return out;
}

void Session::set_profiler(Profiler* profiler) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->options.profiler = profiler;
}

Result<size_t> Session::arena_bytes(std::span<const Shape> input_shapes) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  INR_ASSIGN_OR_RETURN(Plan* plan, impl_->plan_for(input_shapes));
  return plan->arena.bytes() + plan->internal_bytes;
}

Result<Session::WeightMemory> Session::weight_memory(std::span<const Shape> input_shapes) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  INR_ASSIGN_OR_RETURN(Plan* plan, impl_->plan_for(input_shapes));
  WeightMemory out;
  std::unordered_set<const void*> seen;
  auto count = [&](const Graph& g) {
    for (const auto& v : g.values())
      if (v->is_constant() && seen.insert(v->constant.raw()).second) out.graph_bytes += v->constant.bytes();
  };
  count(*plan->graph);
  if (impl_->graph) count(*impl_->graph);
  out.released_bytes = plan->released_bytes;
  for (const auto& exe : plan->executables) out.backend_bytes += exe->constant_bytes();
  return out;
}

Status Session::run_into(std::span<const Tensor> inputs, std::span<Tensor> outputs) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  INR_ASSIGN_OR_RETURN(Plan* plan, impl_->plan_for_inputs(inputs));
  INR_TRY(impl_->execute(*plan, inputs));
  if (outputs.size() != plan->output_slots.size())
    return error("model has {} outputs, got {} buffers", plan->output_slots.size(), outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& slot = plan->slots[plan->output_slots[i]];
    if (outputs[i].shape() != slot.shape() || outputs[i].dtype() != slot.dtype())
      return error("output {}: buffer {}{} does not match {}{}", i, dtype_name(outputs[i].dtype()),
                   shape_str(outputs[i].shape()), dtype_name(slot.dtype()), shape_str(slot.shape()));
    std::memcpy(outputs[i].raw(), slot.raw(), slot.bytes());
  }
  return Status::ok();
}

Result<std::vector<Tensor>> Session::run(std::span<const Tensor> inputs) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  INR_ASSIGN_OR_RETURN(Plan* plan, impl_->plan_for_inputs(inputs));
  INR_TRY(impl_->execute(*plan, inputs));
  std::vector<Tensor> outputs;
  for (int s : plan->output_slots) {
    const Tensor& slot = plan->slots[s];
    outputs.push_back(Tensor::empty(slot.dtype(), slot.shape()));
    std::memcpy(outputs.back().raw(), slot.raw(), slot.bytes());
  }
  return outputs;
}

}  // namespace inr
