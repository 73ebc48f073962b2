// inr.evaluate() and inr.compare(): `inr eval` and `inr compare` as functions. They call the same library
// drivers (inr/eval.h, inr/compare.h) and return the object the command's --json prints, as a dict.
#include "binding.h"
#include "inr/compare.h"
#include "inr/eval.h"

namespace inr::python {

namespace {

std::string path_of(const py::object& v) {
  return py::module_::import("os").attr("fspath")(v).cast<std::string>();
}

py::object to_python(const nlohmann::json& j) { return py::module_::import("json").attr("loads")(j.dump()); }

// The dataset selection keywords shared by evaluate() and compare(): data, ground_truth, synsets, limit,
// sample, seed, shard.
DatasetSelection dataset_options(const py::object& data, py::dict& rest) {
  DatasetSelection d;
  if (!data.is_none()) d.data = path_of(data);
  if (auto v = pop(rest, "ground_truth")) d.ground_truth = path_of(*v);
  if (auto v = pop(rest, "synsets")) d.synsets = path_of(*v);
  if (auto v = pop(rest, "limit")) d.limit = v->cast<int64_t>();
  if (auto v = pop(rest, "sample")) d.sample = v->cast<int64_t>();
  if (auto v = pop(rest, "seed")) d.seed = v->cast<uint64_t>();
  if (auto v = pop(rest, "shard")) d.shard = py::str(*v).cast<std::string>();
  return d;
}

SessionOptions session_options(py::dict& rest) {
  SessionOptions s;
  if (auto v = pop(rest, "threads")) s.threads = v->cast<int>();
  if (auto v = pop(rest, "backend")) s.backend = py::str(*v).cast<std::string>();
  if (auto v = pop(rest, "opt_level")) s.opt_level = v->cast<int>();
  return s;
}

void warn_all(const std::vector<std::string>& notes) {
  py::object warn = py::module_::import("warnings").attr("warn");
  py::object category = py::module_::import("builtins").attr("UserWarning");
  for (std::string line : notes) {
    for (const char* prefix : {"warning: ", "note: "})
      if (line.rfind(prefix, 0) == 0) line.erase(0, std::string(prefix).size());
    warn(line, category, 3);
  }
}

py::object evaluate(const py::object& model, const py::object& data, py::kwargs kwargs) {
  EvalOptions o;
  o.model = path_of(model);
  py::dict rest(kwargs);
  o.session = session_options(rest);
  o.dataset = dataset_options(data, rest);
  if (auto v = pop(rest, "batch")) o.batch = v->cast<int>();
  if (auto v = pop(rest, "pipeline")) o.pipeline = py::str(*v).cast<std::string>();
  if (auto v = pop(rest, "decode_threads")) o.decode_threads = v->cast<int>();
  if (auto v = pop(rest, "out")) o.out = path_of(*v);
  if (auto v = pop(rest, "resume")) o.resume = v->cast<bool>();
  if (auto v = pop(rest, "max_failures")) o.max_failures = v->cast<int64_t>();
  if (auto v = pop(rest, "trace")) o.trace = path_of(*v);
  o.preprocess = pop_preprocess_options(rest);
  reject_unexpected("evaluate", rest);
  std::vector<std::string> notes;
  o.note = [&notes](const std::string& line) { notes.push_back(line); };
  Result<EvalResult> r = Status::error("unreachable");
  {
    py::gil_scoped_release release;
    r = inr::evaluate(o);
  }
  EvalResult result = unwrap(std::move(r));
  warn_all(notes);
  // The CLI prints the summary and then exits 1; here the verdict raises, with the summary unreachable
  // only through --out / the journal, as a failed command's.
  check(result.verdict);
  return to_python(result.summary);
}

py::object compare(const py::list& sides, py::kwargs kwargs) {
  CompareOptions o;
  for (const auto& s : sides) o.sides.push_back(path_of(py::reinterpret_borrow<py::object>(s)));
  py::dict rest(kwargs);
  o.session = session_options(rest);
  py::object data = py::none();
  if (auto v = pop(rest, "data")) data = *v;
  o.dataset = dataset_options(data, rest);
  if (auto v = pop(rest, "image")) o.image = path_of(*v);
  if (auto v = pop(rest, "batch")) o.batch = v->cast<int>();
  if (auto v = pop(rest, "decode_threads")) o.decode_threads = v->cast<int>();
  if (auto v = pop(rest, "latency_runs")) o.latency_runs = v->cast<int>();
  if (auto v = pop(rest, "latency_warmup")) o.latency_warmup = v->cast<int>();
  if (auto v = pop(rest, "labels")) o.labels = path_of(*v);
  if (auto v = pop(rest, "flips")) o.flips = path_of(*v);
  o.preprocess = pop_preprocess_options(rest);
  reject_unexpected("compare", rest);
  std::vector<std::string> notes;
  o.note = [&notes](const std::string& line) { notes.push_back(line); };
  Result<nlohmann::json> r = Status::error("unreachable");
  {
    py::gil_scoped_release release;
    r = inr::compare(o);
  }
  nlohmann::json j = unwrap(std::move(r));
  warn_all(notes);
  return to_python(j);
}

}  // namespace

void bind_evaluate(py::module_& m) {
  m.def("evaluate", &evaluate, py::arg("model"), py::arg("data"),
        R"(evaluate(model, data, **options) -> dict

`inr eval -m MODEL --data DATA` as a function; options are its flags without dashes: threads, backend,
opt_level, batch, pipeline, decode_threads, ground_truth, synsets, limit, sample, seed, shard ("K/N"),
out (the JSONL journal), resume, max_failures, trace, preset= and inr.preprocess()'s overrides.
Returns the summary `inr eval --json` prints (schema inr.eval.summary): images, failed, top1, top5, their
95% intervals and counts, images_per_s, the provenance, ... Unreadable images are UserWarnings; more of
them than max_failures (default 0), or all images failing, raises InrError as the CLI exits 1.)");
  m.def("compare", &compare, py::arg("sides"),
        R"(compare(sides, **options) -> dict

`inr compare A B [C ...]` as a function: sides is a list of models (.onnx) or prediction files; options
are its flags without dashes: data, image, threads, backend, opt_level, batch, decode_threads,
latency_runs, latency_warmup, labels, flips, limit, sample, seed, shard, ground_truth, synsets, preset= and
inr.preprocess()'s overrides. Returns the object `inr compare --json` prints (schema inr.compare): one
entry per side in "models" with size, parameters by dtype, latency, top-5 on the image, accuracy and
vs_first (delta, interval, McNemar p).)");
}

}  // namespace inr::python
