// Element types of tensors. Names follow ONNX's TensorProto.DataType where one exists.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace inr {

enum class DType : uint8_t {
  kUndefined,
  kF32,
  kF16,
  kBF16,
  kF64,
  kI8,
  kU8,
  kI4,  // packed two per byte, low nibble first (ONNX INT4 layout)
  kU4,
  kI16,
  kU16,
  kI32,
  kI64,
  kBool,
};

// Bytes per element; 0 for the packed 4-bit types (use dtype_bytes(dtype, count)).
size_t dtype_size(DType t);
// Bytes needed for `count` elements, packing 4-bit types two per byte.
size_t dtype_bytes(DType t, int64_t count);
std::string_view dtype_name(DType t);  // "f32", "u8", ...
bool dtype_is_float(DType t);
bool dtype_is_quantized_int(DType t);  // i8 u8 i4 u4 i16 u16

// ONNX TensorProto.DataType <-> DType. Returns kUndefined for types inr does not handle.
DType dtype_from_onnx(int onnx_type);
int dtype_to_onnx(DType t);

}  // namespace inr
