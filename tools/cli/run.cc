// `inr run -m MODEL --input FILE... --output-dir DIR`: raw tensors in, <output name>.npy out.
// Inputs are .npy or ONNX TensorProto .pb files, matched to graph inputs by the tensor's name (a .pb
// carries one), else by position.
#include <filesystem>

#include "command.h"
#include "core/npy.h"
#include "core/profiler.h"
#include "onnx/onnx_io.h"
#include "session_flags.h"

namespace inr::cli {

namespace fs = std::filesystem;

Command make_run_command(CLI::App& parent) {
  struct Flags {
    SessionFlags session;
    std::vector<std::string> inputs;
    std::string output_dir;
  };
  auto f = std::make_shared<Flags>();
  Command c;
  c.app = parent.add_subcommand("run", "Run a model on raw tensors (.npy or .pb) and write the outputs as .npy");
  add_session_flags(c.app, f->session);
  c.app->add_option("--input", f->inputs, "Input tensors (.npy or TensorProto .pb)")->required();
  c.app->add_option("--output-dir", f->output_dir, "Directory for <output name>.npy")->required();
  c.run = [f] {
    Profiler profiler;
    auto session = open_session(f->session, &profiler);
    if (!session) return fail(session.status());
    const auto& infos = (*session)->inputs();
    std::vector<Tensor> ins(infos.size());
    std::vector<bool> bound(infos.size(), false);
    for (size_t i = 0; i < f->inputs.size(); ++i) {
      const std::string& path = f->inputs[i];
      std::string name;
      Result<Tensor> t = Status::error("unreadable");
      if (fs::path(path).extension() == ".pb") {
        t = read_tensor_pb(path, &name);
      } else {
        t = read_npy(path);
      }
      if (!t) return fail(t.status());
      // A .pb tensor's name (when it names a graph input) decides where it goes; else its position.
      size_t slot = i;
      for (size_t k = 0; k < infos.size(); ++k)
        if (!name.empty() && name == infos[k].name) slot = k;
      if (slot >= infos.size())
        return fail(error("{}: model has {} inputs, this is input {}", path, infos.size(), i + 1));
      if (bound[slot]) return fail(error("{}: input '{}' given twice", path, infos[slot].name));
      ins[slot] = std::move(*t);
      bound[slot] = true;
    }
    for (size_t k = 0; k < infos.size(); ++k)
      if (!bound[k]) return fail(error("no tensor given for input '{}'", infos[k].name));
    auto outs = (*session)->run(ins);
    if (!outs) return fail(outs.status());
    std::error_code ec;
    fs::create_directories(f->output_dir, ec);
    if (ec) return fail(error("{}: cannot create directory: {}", f->output_dir, ec.message()));
    for (size_t i = 0; i < outs->size(); ++i) {
      std::string name = (*session)->outputs()[i].name;
      for (char& ch : name)
        if (ch == '/' || ch == '\\') ch = '_';
      std::string path = (fs::path(f->output_dir) / (name + ".npy")).string();
      Status s = write_npy(path, (*outs)[i]);
      if (!s) return fail(s);
      std::printf("%s %s%s\n", path.c_str(), std::string(dtype_name((*outs)[i].dtype())).c_str(),
                  shape_str((*outs)[i].shape()).c_str());
    }
    Status s = finish_trace(f->session, profiler);
    return s ? 0 : fail(s);
  };
  return c;
}

}  // namespace inr::cli
