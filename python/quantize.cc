// inr.quantize(): `inr quantize` as a function. Both call inr::quantize_model (inr/quantize.h); the result is
// its summary, the object `inr quantize --json` prints (schema inr.quantize.summary), as a dict.
#include "binding.h"
#include "inr/quantize.h"

namespace inr::python {

namespace {

bool flag(const py::object& v, const char* what) {
  if (!py::isinstance<py::bool_>(v))
    throw py::type_error(fmt::format("{}: expected True or False, got {}", what, py::repr(v).cast<std::string>()));
  return v.cast<bool>();
}

// A list of names, or one comma-separated string as on the command line.
std::vector<std::string> names(const py::object& v) {
  if (!py::isinstance<py::str>(v)) return v.cast<std::vector<std::string>>();
  return split_names(v.cast<std::string>());
}

std::string text(const py::object& v) { return py::str(v).cast<std::string>(); }

py::object quantize(const py::object& input, const py::object& output, const std::string& mode, py::kwargs kwargs) {
  py::object os = py::module_::import("os");
  QuantizeRequest r;
  r.model = os.attr("fspath")(input).cast<std::string>();
  // None: no model (a calibration shard with save_observers=).
  if (!output.is_none()) r.output = os.attr("fspath")(output).cast<std::string>();
  r.mode = mode;
  py::dict rest(kwargs);
  if (auto v = pop(rest, "format")) r.format = text(*v);
  if (auto v = pop(rest, "calib")) r.calibrator = text(*v);
  if (auto v = pop(rest, "calib_data")) r.calib_data = os.attr("fspath")(*v).cast<std::string>();
  if (auto v = pop(rest, "calib_count")) r.calib_count = v->cast<int64_t>();
  if (auto v = pop(rest, "calib_sample")) r.calib_sample = v->cast<int64_t>();
  if (auto v = pop(rest, "seed")) r.seed = v->cast<uint64_t>();
  if (auto v = pop(rest, "calib_batch")) r.calib_batch = v->cast<int>();
  if (auto v = pop(rest, "bins")) r.bins = v->cast<int>();
  if (auto v = pop(rest, "percentile")) r.percentile = v->cast<double>();
  if (auto v = pop(rest, "entropy_bins")) r.entropy_bins = v->cast<int>();
  if (auto v = pop(rest, "tfe_gamma")) r.tfe_gamma = v->cast<double>();
  if (auto v = pop(rest, "act")) r.act = text(*v);
  if (auto v = pop(rest, "weight")) r.weight = text(*v);
  if (auto v = pop(rest, "target")) r.target = text(*v);
  if (auto v = pop(rest, "per_tensor")) r.per_tensor = flag(*v, "per_tensor");
  if (auto v = pop(rest, "symmetric_act")) r.symmetric_act = flag(*v, "symmetric_act");
  if (auto v = pop(rest, "reduce_range")) r.reduce_range = flag(*v, "reduce_range");
  if (auto v = pop(rest, "weight_bits")) r.weight_bits = v->cast<int>();
  if (auto v = pop(rest, "encodings")) r.encodings = os.attr("fspath")(*v).cast<std::string>();
  if (auto v = pop(rest, "export_encodings")) r.export_encodings = flag(*v, "export_encodings");
  if (auto v = pop(rest, "exclude")) r.exclude = names(*v);
  if (auto v = pop(rest, "op_types")) r.op_types = names(*v);
  if (auto v = pop(rest, "calib_shard")) r.calib_shard = text(*v);
  if (auto v = pop(rest, "save_observers")) r.save_observers = os.attr("fspath")(*v).cast<std::string>();
  if (auto v = pop(rest, "observers"))
    for (const py::handle& f : *v) r.observers.push_back(os.attr("fspath")(f).cast<std::string>());
  r.preprocess = pop_preprocess_options(rest);  // of the calibration images
  reject_unexpected("quantize", rest);
  // The CLI's warning lines (nodes left float, unreadable calibration images) become Python warnings.
  std::vector<std::string> notes;
  r.note = [&notes](const std::string& line) { notes.push_back(line); };

  Result<nlohmann::json> j = Status::error("unreachable");
  {
    py::gil_scoped_release release;
    j = quantize_model(r);
  }
  nlohmann::json summary = unwrap(std::move(j));
  py::object warn = py::module_::import("warnings").attr("warn");
  for (std::string line : notes) {
    if (line.rfind("warning: ", 0) == 0) line.erase(0, 9);  // the CLI's prefix; the category says it here
    warn(line, py::module_::import("builtins").attr("UserWarning"), 2);
  }
  return py::module_::import("json").attr("loads")(summary.dump());
}

}  // namespace

void bind_quantize(py::module_& m) {
  m.def("quantize", &quantize, py::arg("input"), py::arg("output"), py::arg("mode"),
        R"(quantize(input, output, mode, **options) -> dict

`inr quantize -m INPUT -o OUTPUT --mode fp16|dynamic|static` as a function; options are its flags without
dashes (format="qdq"|"qop", calib="minmax"|"percentile"|"entropy"|"l2"|"tf-enhanced", calib_data=DIR|LIST,
calib_count, calib_sample, seed, calib_batch, percentile, bins, entropy_bins, tfe_gamma, per_tensor, act,
weight, symmetric_act, reduce_range, target="portable"|"vnni"|"avx2", weight_bits=8|4, export_encodings,
encodings=FILE (AIMET .encodings instead of calib_data), exclude, op_types (lists or
comma-separated strings), preset= and inr.preprocess()'s overrides for the calibration images).
Distributed calibration: output=None with calib_shard="K/N"|"auto" and save_observers=FILE writes one
shard's observers (the summary is then inr.quantize.observers_summary); observers=[files] builds the model
from all the shards' files, the bytes of a one-process calibration.
Returns the summary `inr quantize --json` prints (schema inr.quantize.summary): mode, calibrator,
images_used, weights, activations, nodes_quantized, left_float, bytes_before, bytes_after, the model's
provenance, ... Nodes left float and unreadable calibration images are also reported as UserWarnings.)");
}

}  // namespace inr::python
