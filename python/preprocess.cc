// inr.preprocess(): one image through a preset's pipeline, the tensor `inr preprocess -o x.npy` writes.
#include "binding.h"
#include "core/file.h"
#include "drivers/preprocess_options.h"
#include "image/preprocess.h"

namespace inr::python {

std::optional<py::object> pop(py::dict& kwargs, const char* key) {
  if (!kwargs.contains(key)) return std::nullopt;
  py::object v = kwargs[key];
  PyDict_DelItemString(kwargs.ptr(), key);
  if (v.is_none()) return std::nullopt;
  return v;
}

namespace {

std::string positive_int(const py::handle& v, const char* what) {
  if (!py::isinstance<py::int_>(v) || py::isinstance<py::bool_>(v))
    throw py::type_error(fmt::format("{}: expected an int, got {}", what, py::repr(v).cast<std::string>()));
  return py::str(v).cast<std::string>();  // the library checks the range, as for the CLI's flag
}

// int N, (w, h), or a string as the CLI takes it ("N", "WxH", "none").
std::string size_arg(const py::object& v, const char* what) {
  if (py::isinstance<py::str>(v)) return v.cast<std::string>();
  if (py::isinstance<py::tuple>(v) || py::isinstance<py::list>(v)) {
    auto seq = v.cast<py::sequence>();
    if (seq.size() != 2) raise(error("{}: expected (width, height), got {} values", what, seq.size()));
    return positive_int(seq[0], what) + "x" + positive_int(seq[1], what);
  }
  return positive_int(v, what);
}

std::vector<double> per_channel(const py::object& v) {
  if (py::isinstance<py::float_>(v) || py::isinstance<py::int_>(v)) return {v.cast<double>()};
  return v.cast<std::vector<double>>();
}

bool bool_arg(const py::object& v, const char* what) {
  if (!py::isinstance<py::bool_>(v))
    throw py::type_error(fmt::format("{}: expected True or False, got {}", what, py::repr(v).cast<std::string>()));
  return v.cast<bool>();
}

}  // namespace

PreprocessOptions pop_preprocess_options(py::dict& kwargs) {
  std::string preset = PreprocessOptions{}.preset;
  if (auto v = pop(kwargs, "preset")) preset = py::str(*v).cast<std::string>();
  return preprocess_options(preset, kwargs);
}

PreprocessOptions preprocess_options(const std::string& preset, py::dict& kwargs) {
  PreprocessOptions o;
  o.preset = preset;
  if (auto v = pop(kwargs, "resize")) o.resize = size_arg(*v, "resize");
  if (auto v = pop(kwargs, "crop")) o.crop = size_arg(*v, "crop");
  if (auto v = pop(kwargs, "mean")) o.mean = per_channel(*v);
  if (auto v = pop(kwargs, "std")) o.std = per_channel(*v);
  if (auto v = pop(kwargs, "bgr")) (bool_arg(*v, "bgr") ? o.bgr : o.rgb) = true;
  if (auto v = pop(kwargs, "interp")) o.interp = py::str(*v).cast<std::string>();
  if (auto v = pop(kwargs, "layout")) o.layout = py::str(*v).cast<std::string>();
  if (auto v = pop(kwargs, "exif_orientation")) o.exif_orientation = bool_arg(*v, "exif_orientation");
  if (auto v = pop(kwargs, "max_pixels")) o.max_pixels = v->cast<int64_t>();
  return o;
}

namespace {

py::array preprocess(const py::object& source, const std::string& preset, py::kwargs kwargs) {
  py::dict rest(kwargs);
  PreprocessOptions options = preprocess_options(preset, rest);
  reject_unexpected("preprocess", rest);
  image::PreprocessSpec spec = unwrap(resolve_preprocess(options));

  // The encoded file: read from a path, or the caller's bytes (kept alive by `source`, read without a copy).
  std::string file;
  std::string name = "<memory>";
  py::buffer_info view;
  std::span<const uint8_t> bytes;
  if (py::isinstance<py::str>(source) || py::hasattr(source, "__fspath__")) {
    py::object p = py::module_::import("os").attr("fspath")(source);
    name = p.cast<std::string>();
    Result<std::string> r = Status::error("unreachable");
    {
      py::gil_scoped_release release;
      r = read_file(name);
    }
    file = unwrap(std::move(r));
    bytes = {reinterpret_cast<const uint8_t*>(file.data()), file.size()};
  } else if (py::isinstance<py::bytes>(source) || py::isinstance<py::bytearray>(source) ||
             py::isinstance<py::memoryview>(source) || py::isinstance<py::array>(source)) {
    if (py::isinstance<py::array>(source)) {
      auto a = py::reinterpret_borrow<py::array>(source);
      if (dtype_of(a.dtype()) != DType::kU8 || a.ndim() != 1 || !(a.flags() & py::array::c_style))
        raise(error("expected the encoded JPEG/PNG file as a 1-D C-contiguous uint8 array, got {} {}",
                    py::str(a.dtype()).cast<std::string>(), py::repr(a.attr("shape")).cast<std::string>()));
    }
    view = py::reinterpret_borrow<py::buffer>(source).request();
    if (view.ndim > 1 || view.itemsize != 1) raise(error("expected the encoded JPEG/PNG file's bytes"));
    bytes = {static_cast<const uint8_t*>(view.ptr), static_cast<size_t>(view.size)};
  } else {
    throw py::type_error("preprocess(): expected a path (str or os.PathLike) or the encoded image as bytes or a "
                         "1-D uint8 array, got " + py::str(source.get_type().attr("__name__")).cast<std::string>());
  }

  Result<Tensor> t = Status::error("unreachable");
  {
    py::gil_scoped_release release;
    image::Preprocessor pre(spec, decode_options(options));
    t = pre.run_tensor(bytes, name);
  }
  Tensor out = unwrap(std::move(t));
  Shape batched = out.shape();
  batched.insert(batched.begin(), 1);  // as `inr preprocess -o x.npy`: a batch of one, ready for run()
  return to_numpy(out.reshaped(batched), "preprocess");
}

}  // namespace

void bind_preprocess(py::module_& m) {
  m.def("preprocess", &preprocess, py::arg("image"), py::arg("preset") = std::string(image::kDefaultPreset),
        R"(preprocess(image, preset="torchvision", **overrides) -> numpy array [1, C, H, W] (or [1, H, W, C])

image: a JPEG/PNG path, or the encoded file as bytes or a 1-D uint8 array. The result holds the same
bytes as `inr preprocess -i IMAGE -p PRESET -o x.npy`. Overrides, as the CLI's flags: resize=256 (shorter
side) | (w, h) | "none", crop=224 | (w, h) | "none", mean=, std= (one value or three, in the preset's units
and channel order), bgr=True|False, interp="pil_bilinear"|..., layout="nchw"|"nhwc",
exif_orientation=False, max_pixels=N.)");
  py::list names;
  for (const image::PresetInfo& p : image::presets()) names.append(std::string(p.name));
  m.attr("presets") = names;
}

}  // namespace inr::python
