// The oneDNN fp32 CPU backend: one engine and stream, a partition compiled into a flat list of primitives
// (see onednn_compiler.h), internal activations in one liveness-planned pre-faulted Arena, and one shared
// user-managed scratchpad. A steady-state run only rebinds slot pointers that changed and executes.
//
// Threads: oneDNN runs on the OpenMP pool the runtime sized (omp_set_num_threads); each primitive is one
// statically split parallel region. On an oversubscribed machine libgomp's default spin-then-sleep barrier
// makes every region wait for a descheduled thread: measured on the shared 2-core VM (load 6..12), ResNet50
// batch 1 p50 went from ~2x slower than ONNX Runtime to ~2x faster with OMP_WAIT_POLICY=PASSIVE (or
// GOMP_SPINCOUNT small). libgomp reads these at load time, so they belong to the process environment.
//
// Primitives are executed through the C API with argument arrays built at compile time: the C++
// `primitive::execute` builds a std::vector from an unordered_map on every call.
#include <algorithm>
#include <cstdlib>
#include <optional>

#include <omp.h>

#include <fmt/format.h>

#include "backends/onednn/onednn_compiler.h"
#include "core/cpu_tier.h"
#include "core/log.h"

namespace inr {

namespace {

using onednn::Place;

std::string json_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out;
}

class OnednnExecutable final : public Executable {
 public:
  OnednnExecutable(const CompileRequest& req, dnnl::engine engine, onednn::Program program)
      : engine_(std::move(engine)), stream_(engine_), program_(std::move(program)), slots_(req.slots),
        nodes_(req.nodes) {
    ArenaPlan plan = plan_arena(program_.buffers);
    arena_ = Arena(plan.total_bytes);
    scratchpad_ = Arena(program_.scratchpad_bytes);
    program_.stats.arena_bytes = plan.total_bytes;
    program_.stats.scratchpad_bytes = program_.scratchpad_bytes;
    for (const onednn::MemSpec& m : program_.mems) {
      void* p = nullptr;
      switch (m.ref.place) {
        case Place::kArena:
          p = arena_.data() + plan.offsets[static_cast<size_t>(m.ref.index)];
          break;
        case Place::kSlot:
          p = (*slots_)[static_cast<size_t>(m.ref.index)].raw();
          slot_bindings_.push_back(SlotBinding{mems_.size(), m.ref.index, p});
          break;
        case Place::kOwned:
          p = program_.owned[static_cast<size_t>(m.ref.index)].data();
          break;
        case Place::kScratchpad:
          p = scratchpad_.data();
          break;
      }
      mems_.emplace_back(m.md, engine_, p);
    }
    for (const onednn::Step& s : program_.steps) {
      if (s.serial) program_.stats.serial.push_back(s.label);
      std::vector<dnnl_exec_arg_t> args;
      for (const auto& [arg, id] : s.args) args.push_back(dnnl_exec_arg_t{arg, mems_[static_cast<size_t>(id)].get()});
      c_args_.push_back(std::move(args));
      phase_args_.push_back(fmt::format(R"({{"what": "{}"}})", json_escape(s.label)));
    }
    for (size_t k = 0; k < nodes_.size(); ++k) {
      std::string kernel;  // the node's compute steps' kernels, in order (the trace's "kernel" field)
      for (const onednn::Step& st : program_.steps)
        if (st.node == static_cast<int>(k) && !st.reorder && !st.impl.empty())
          kernel += (kernel.empty() ? "" : " + ") + st.impl;
      node_args_.push_back(node_event_args(*nodes_[k], "onednn", kernel));
    }
  }

  Status run(Profiler* profiler) override {
    // Slots never move after compile, but the runtime may rebind graph inputs to caller memory.
    for (SlotBinding& b : slot_bindings_) {
      void* p = (*slots_)[static_cast<size_t>(b.slot)].raw();
      if (p != b.bound) {
        if (dnnl_memory_set_data_handle_v2(mems_[b.mem].get(), p, stream_.get()) != dnnl_success)
          return error("onednn: cannot rebind slot {}", b.slot);
        b.bound = p;
      }
    }
    // Small steps run on this thread alone (Step::serial): the OpenMP setting of the calling thread is
    // lowered around them and restored after.
    const int team = omp_get_max_threads();
    int threads = team;
    auto use_threads = [&threads](int n) {
      if (n != threads) omp_set_num_threads(threads = n);
    };
    size_t s = 0;
    for (size_t k = 0; k < nodes_.size(); ++k) {
      std::optional<ScopedEvent> node_event;
      if (profiler)
        node_event.emplace(profiler, nodes_[k]->name.empty() ? nodes_[k]->op_type : nodes_[k]->name, "node",
                           node_args_[k]);
      for (; s < program_.steps.size() && program_.steps[s].node == static_cast<int>(k); ++s) {
        const onednn::Step& step = program_.steps[s];
        std::optional<ScopedEvent> phase;
        if (profiler && step.reorder)
          phase.emplace(profiler, "reorder", "phase", phase_args_[s]);
        const std::vector<dnnl_exec_arg_t>& args = c_args_[s];
        use_threads(step.serial ? 1 : team);
        if (step.custom) {
          void* data[onednn::kMaxCustomArgs];
          for (size_t i = 0; i < args.size(); ++i)
            if (dnnl_memory_get_data_handle(args[i].memory, &data[i]) != dnnl_success)
              return use_threads(team), error("{}: cannot read a memory handle", nodes_[k]->label());
          step.custom(data);
          continue;
        }
        dnnl_status_t st = dnnl_primitive_execute(step.prim.get(), stream_.get(), static_cast<int>(args.size()),
                                                  args.data());
        if (st != dnnl_success) {
          use_threads(team);
          return error("{}: oneDNN primitive failed (status {})", nodes_[k]->label(), static_cast<int>(st));
        }
      }
    }
    use_threads(team);
    if (dnnl_stream_wait(stream_.get()) != dnnl_success) return error("onednn: stream wait failed");
    return Status::ok();
  }

  size_t constant_bytes() const override { return program_.stats.weight_bytes; }
  size_t internal_bytes() const override {
    return program_.stats.arena_bytes + program_.stats.scratchpad_bytes + program_.stats.weight_bytes;
  }
  const OnednnExecutableStats& stats() const { return program_.stats; }

 private:
  struct SlotBinding {
    size_t mem;
    int slot;
    void* bound;
  };
  dnnl::engine engine_;
  dnnl::stream stream_;
  onednn::Program program_;
  std::vector<Tensor>* slots_;
  std::vector<Node*> nodes_;
  Arena arena_, scratchpad_;
  std::vector<dnnl::memory> mems_;
  std::vector<std::vector<dnnl_exec_arg_t>> c_args_;
  std::vector<SlotBinding> slot_bindings_;
  std::vector<std::string> phase_args_;  // per step, built once: the profiler path formats nothing
  std::vector<std::string> node_args_;   // per node, built once, likewise
};

class OnednnBackend final : public Backend {
 public:
  OnednnBackend() : engine_((onednn_apply_cpu_tier(), dnnl::engine(dnnl::engine::kind::cpu, 0))) {}
  std::string_view name() const override { return "onednn"; }
  Status supports(const Node& node) const override {
    try {
      return onednn::onednn_support(node);
    } catch (const std::exception& e) {
      return error("oneDNN refused it: {}", e.what());
    }
  }

  Result<std::unique_ptr<Executable>> compile(const CompileRequest& req) override {
    try {
      onednn::Compiler compiler(req, engine_);
      INR_TRY(compiler.lower());
      return std::unique_ptr<Executable>(std::make_unique<OnednnExecutable>(req, engine_, compiler.take()));
    } catch (const dnnl::error& e) {
      return error("onednn: {} (status {})", e.what(), static_cast<int>(e.status));
    } catch (const std::exception& e) {
      return error("onednn: {}", e.what());
    }
  }

 private:
  dnnl::engine engine_;
};

dnnl::cpu_isa onednn_isa_of(CpuTier tier) {
  using isa = dnnl::cpu_isa;
  switch (tier) {
    case CpuTier::kBaseline:
      return isa::sse41;
    case CpuTier::kAvx2:
      return isa::avx2;
    case CpuTier::kAvxVnni:
      return isa::avx2_vnni;
    case CpuTier::kAvx512:
      return isa::avx512_core;
    case CpuTier::kAvx512Vnni:
      return cpu_features().amx ? isa::avx512_core_bf16 : isa::avx512_core_vnni;
    case CpuTier::kAmx:
      return isa::all;
  }
  return isa::all;
}

}  // namespace

void onednn_apply_cpu_tier() {
  static const bool applied = [] {
    // Uncapped: oneDNN picks what the CPU has, exactly as without inr's tier (no change in what runs).
    if (cpu_tier() == detected_cpu_tier()) return true;
    // Only oneDNN's own variable caps it: oneDNN reads it itself.
    if (std::getenv("INR_MAX_ISA") == nullptr) return true;
    // Fails (without throwing) once oneDNN has queried the ISA, i.e. after its first primitive.
    if (dnnl::set_max_cpu_isa(onednn_isa_of(cpu_tier())) == dnnl::status::success) return true;
    log_warn("onednn: could not cap oneDNN at tier {} (already initialised); its kernels may use a higher ISA",
             cpu_tier_name(cpu_tier()));
    return false;
  }();
  (void)applied;
}

OnednnExecutableStats onednn_executable_stats(const Executable& exe) {
  if (const auto* o = dynamic_cast<const OnednnExecutable*>(&exe)) return o->stats();
  return {};
}

std::unique_ptr<Backend> make_onednn_backend() { return std::make_unique<OnednnBackend>(); }

}  // namespace inr
