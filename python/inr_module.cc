// The extension module inr._inr; python/inr/__init__.py re-exports it as `inr`.
#include "binding.h"

#include <cstring>

#include "inr/dtype.h"

namespace inr::python {

namespace {

struct NumpyType {
  DType dtype;
  const char* numpy;
  const char* ort;
};
// ONNX Runtime's names: onnxruntime/core/framework/data_types.cc (tensor(float), tensor(uint8), ...).
constexpr NumpyType kTypes[] = {
    {DType::kF32, "float32", "tensor(float)"},   {DType::kF16, "float16", "tensor(float16)"},
    {DType::kF64, "float64", "tensor(double)"},  {DType::kI8, "int8", "tensor(int8)"},
    {DType::kU8, "uint8", "tensor(uint8)"},      {DType::kI16, "int16", "tensor(int16)"},
    {DType::kU16, "uint16", "tensor(uint16)"},   {DType::kI32, "int32", "tensor(int32)"},
    {DType::kI64, "int64", "tensor(int64)"},     {DType::kBool, "bool", "tensor(bool)"},
    {DType::kBF16, nullptr, "tensor(bfloat16)"}, {DType::kI4, nullptr, "tensor(int4)"},
    {DType::kU4, nullptr, "tensor(uint4)"},
};

}  // namespace

py::dtype numpy_dtype(DType t, const std::string& what) {
  for (const NumpyType& n : kTypes)
    if (n.dtype == t && n.numpy) return py::dtype(std::string(n.numpy));
  throw InrException(fmt::format("{}: dtype {} has no numpy equivalent", what, dtype_name(t)));
}

DType dtype_of(const py::dtype& d) {
  for (const NumpyType& n : kTypes)
    if (n.numpy && d.equal(py::dtype(std::string(n.numpy)))) return n.dtype;
  return DType::kUndefined;
}

std::string numpy_name(DType t) {
  for (const NumpyType& n : kTypes)
    if (n.dtype == t) return n.numpy ? n.numpy : n.ort;
  return std::string(dtype_name(t));
}

std::string ort_type(DType t) {
  for (const NumpyType& n : kTypes)
    if (n.dtype == t) return n.ort;
  return "tensor(undefined)";
}

py::array to_numpy(Tensor t, const std::string& what) {
  py::dtype dt = numpy_dtype(t.dtype(), what);
  std::vector<py::ssize_t> shape(t.shape().begin(), t.shape().end());
  std::vector<py::ssize_t> strides(shape.size());
  py::ssize_t stride = dt.itemsize();
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= shape[i];
  }
  void* data = t.raw();
  auto* owner = new Tensor(std::move(t));
  py::capsule base(owner, [](void* p) { delete static_cast<Tensor*>(p); });
  return py::array(dt, std::move(shape), std::move(strides), data, base);
}

void reject_unexpected(const char* function, const py::dict& kwargs) {
  for (auto item : kwargs)
    throw py::type_error(fmt::format("{}() got an unexpected keyword argument '{}'", function,
                                     py::str(item.first).cast<std::string>()));
}

}  // namespace inr::python

PYBIND11_MODULE(_inr, m) {
  namespace py = pybind11;
  using namespace inr::python;
  m.doc() = "inr: run, preprocess, quantize, evaluate and compare ImageNet classifiers stored as ONNX (C++ library binding)";
  m.attr("__version__") = INR_VERSION;
  py::register_exception<InrException>(m, "InrError", PyExc_RuntimeError);
  bind_session(m);
  bind_preprocess(m);
  bind_quantize(m);
  bind_evaluate(m);
}
