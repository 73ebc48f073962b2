// Shared pieces of the Python module: the exception every inr error becomes, Tensor <-> numpy, and the
// preprocessing keyword arguments that inr.preprocess() and inr.quantize() both take.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <stdexcept>
#include <string>

#include "inr/preprocess_options.h"
#include "inr/status.h"
#include "inr/tensor.h"

namespace inr::python {

namespace py = pybind11;

// Raised in Python as inr.InrError (a RuntimeError) carrying the Status's one-line message.
struct InrException : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] inline void raise(const Status& s) { throw InrException(s.message()); }
inline void check(const Status& s) {
  if (!s) raise(s);
}
template <typename T>
T unwrap(Result<T>&& r) {
  if (!r) raise(r.status());
  return std::move(r).value();
}

// numpy's dtype for a DType; raises InrError for the types numpy lacks (bf16, i4, u4).
py::dtype numpy_dtype(DType t, const std::string& what);
// The DType of a numpy dtype (kUndefined when inr has none).
DType dtype_of(const py::dtype& d);
// numpy's name of a DType ("float32"), else ONNX Runtime's type string.
std::string numpy_name(DType t);
// ONNX Runtime's type string: "tensor(float)", "tensor(uint8)", ...
std::string ort_type(DType t);

// Hands `t`'s storage to numpy without copying: the array's base is a capsule owning a Tensor that shares
// the storage, so the memory lives as long as the array (and anything viewing it).
py::array to_numpy(Tensor t, const std::string& what);

// Preprocessing options as keyword arguments (the preprocessing flags of the CLI without dashes, into the
// library's PreprocessOptions): resize and crop (int N, (w, h), "none", or the CLI's "N" / "WxH"), mean and
// std (one float or three), bgr (True: BGR, False: RGB), interp, layout ("nchw" | "nhwc"),
// exif_orientation (bool), max_pixels (int). Each key found is removed from `kwargs`, so a caller can
// report what is left as unexpected.
PreprocessOptions preprocess_options(const std::string& preset, py::dict& kwargs);
// The same with the preset itself taken from kwargs["preset"] (default: PreprocessOptions' preset), for the
// functions whose other arguments come first (quantize, evaluate, compare).
PreprocessOptions pop_preprocess_options(py::dict& kwargs);
// Pops `key` from kwargs: nullopt when absent (or None).
std::optional<py::object> pop(py::dict& kwargs, const char* key);
// TypeError naming the first key left in `kwargs`, as Python does for an unexpected keyword argument.
void reject_unexpected(const char* function, const py::dict& kwargs);

void bind_session(py::module_& m);
void bind_preprocess(py::module_& m);
void bind_quantize(py::module_& m);
void bind_evaluate(py::module_& m);

}  // namespace inr::python
