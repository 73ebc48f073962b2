// inr.InferenceSession: ONNX Runtime's Python API (onnxruntime.InferenceSession) over inr::Session.
//
// Copies: an input that is a C-contiguous numpy array of the model's dtype is wrapped, not copied (any other
// memory layout is copied once into a C-contiguous array; another dtype is an error, as in ORT). Each output
// is the tensor Session::run allocated, handed to numpy with a capsule that owns it: no copy. The session
// itself copies inputs into its activation arena and results out of it, as for C++ callers. The GIL is
// released while the model loads and while it runs.
#include <optional>

#include "binding.h"
#include "inr/session.h"

namespace inr::python {

namespace {

// onnxruntime.NodeArg: name, type ("tensor(float)") and shape (ints, the model's name of a dynamic dim,
// or None where it names none).
struct NodeArg {
  std::string name;
  std::string type;
  py::list shape;
};

NodeArg node_arg(const IoInfo& io) {
  NodeArg a{io.name, ort_type(io.dtype), py::list()};
  for (size_t i = 0; i < io.shape.size(); ++i) {
    if (io.shape[i] >= 0) {
      a.shape.append(io.shape[i]);
    } else if (i < io.dim_params.size() && !io.dim_params[i].empty()) {
      a.shape.append(io.dim_params[i]);
    } else {
      a.shape.append(py::none());
    }
  }
  return a;
}

std::string fspath(const py::object& path) {
  py::object p = py::module_::import("os").attr("fspath")(path);
  if (!py::isinstance<py::str>(p)) throw py::type_error("the model path must be a str or os.PathLike of str");
  return p.cast<std::string>();
}

class InferenceSession {
 public:
  InferenceSession(const py::object& path, int threads, const std::string& backend, int opt_level) {
    path_ = fspath(path);
    SessionOptions o;
    o.threads = threads;
    o.backend = backend;
    o.opt_level = opt_level;
    if (threads < 0) raise(error("threads must be >= 0 (0: OMP_NUM_THREADS, else all cores)"));
    Result<std::unique_ptr<Session>> s = Status::error("unreachable");
    {
      py::gil_scoped_release release;
      s = Session::load(path_, o);
    }
    session_ = unwrap(std::move(s));
  }

  std::vector<NodeArg> get_inputs() const {
    std::vector<NodeArg> out;
    for (const IoInfo& io : session_->inputs()) out.push_back(node_arg(io));
    return out;
  }
  std::vector<NodeArg> get_outputs() const {
    std::vector<NodeArg> out;
    for (const IoInfo& io : session_->outputs()) out.push_back(node_arg(io));
    return out;
  }

  py::list run(const std::optional<std::vector<std::string>>& output_names, const py::dict& input_feed) {
    const std::vector<IoInfo>& infos = session_->inputs();
    const std::vector<IoInfo>& out_infos = session_->outputs();
    // Which outputs, in the order asked for.
    std::vector<size_t> picks;
    if (!output_names || output_names->empty()) {
      for (size_t i = 0; i < out_infos.size(); ++i) picks.push_back(i);
    } else {
      for (const std::string& n : *output_names) {
        size_t k = 0;
        while (k < out_infos.size() && out_infos[k].name != n) ++k;
        if (k == out_infos.size()) raise(error("'{}' is not an output of the model (outputs: {})", n, names(out_infos)));
        picks.push_back(k);
      }
    }
    for (auto item : input_feed) {
      std::string key = py::str(item.first).cast<std::string>();
      bool known = false;
      for (const IoInfo& io : infos) known = known || io.name == key;
      if (!known) raise(error("'{}' is not an input of the model (inputs: {})", key, names(infos)));
    }
    // Wrap each input; `keep` holds the arrays (and any contiguous copy) until the run is over.
    std::vector<Tensor> ins;
    std::vector<py::array> keep;
    for (const IoInfo& io : infos) {
      if (!input_feed.contains(io.name)) raise(error("no value given for input '{}'", io.name));
      py::object v = input_feed[py::str(io.name)];
      if (!py::isinstance<py::array>(v))
        raise(error("input '{}': expected a numpy.ndarray, got {}", io.name,
                    py::str(v.get_type().attr("__name__")).cast<std::string>()));
      auto a = py::reinterpret_borrow<py::array>(v);
      if (dtype_of(a.dtype()) != io.dtype)
        raise(error("input '{}': dtype {}, the model expects {} (no implicit cast: convert with .astype)", io.name,
                    py::str(a.dtype()).cast<std::string>(), numpy_name(io.dtype)));
      if (!(a.flags() & py::array::c_style) || !(a.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_))
        a = py::module_::import("numpy").attr("ascontiguousarray")(a);  // the one copy: another layout
      Shape shape(a.shape(), a.shape() + a.ndim());
      ins.push_back(Tensor::wrap(io.dtype, std::move(shape), const_cast<void*>(a.data())));
      keep.push_back(std::move(a));
    }
    Result<std::vector<Tensor>> outs = Status::error("unreachable");
    {
      py::gil_scoped_release release;
      outs = session_->run(ins);
    }
    std::vector<Tensor> tensors = unwrap(std::move(outs));
    py::list result;
    for (size_t k : picks) result.append(to_numpy(tensors[k], "output '" + out_infos[k].name + "'"));
    return result;
  }

  const std::string& path() const { return path_; }

 private:
  static std::string names(const std::vector<IoInfo>& infos) {
    std::string s;
    for (const IoInfo& io : infos) s += (s.empty() ? "" : ", ") + io.name;
    return s;
  }

  std::string path_;
  std::unique_ptr<Session> session_;
};

}  // namespace

void bind_session(py::module_& m) {
  py::class_<NodeArg>(m, "NodeArg", "A model input or output, as onnxruntime.NodeArg")
      .def_readonly("name", &NodeArg::name)
      .def_readonly("type", &NodeArg::type, "ONNX Runtime's type string, e.g. 'tensor(float)'")
      .def_readonly("shape", &NodeArg::shape,
                    "Dims: an int, the model's name of a dynamic dim (str), or None where it names none")
      .def("__repr__", [](const NodeArg& a) {
        return fmt::format("NodeArg(name='{}', type='{}', shape={})", a.name, a.type,
                           py::repr(a.shape).cast<std::string>());
      });

  py::class_<InferenceSession>(m, "InferenceSession", R"(Loads an ONNX model and runs it, as onnxruntime.InferenceSession.

threads:   intra-op (OpenMP) threads; 0 keeps OMP_NUM_THREADS, else all cores.
backend:   "auto" (oneDNN where it supports a node, else the reference), "onednn" or "reference".
opt_level: 0 no graph passes, 1 canonical (constant and BatchNorm folding), 2 or 99 also fusion.
Errors raise inr.InrError (a RuntimeError) with inr's one-line message. One run at a time per session
(calls from several threads are serialised); the GIL is released while it runs.)")
      .def(py::init<const py::object&, int, const std::string&, int>(), py::arg("path"), py::arg("threads") = 0,
           py::arg("backend") = "auto", py::arg("opt_level") = 99)
      .def("get_inputs", &InferenceSession::get_inputs)
      .def("get_outputs", &InferenceSession::get_outputs)
      .def("run", &InferenceSession::run, py::arg("output_names"), py::arg("input_feed"),
           R"(run(output_names, input_feed) -> list of numpy arrays

output_names: the outputs to return, in this order; None (or []) for all of them.
input_feed:   {input name: numpy array}. An array of the model's dtype in C order is used in place (no
              copy); another memory layout is copied once; another dtype is an error (no silent cast).
Outputs are new arrays that own inr's result buffers (no copy).)")
      .def_property_readonly("model_path", &InferenceSession::path);
}

}  // namespace inr::python
