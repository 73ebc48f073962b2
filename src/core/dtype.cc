#include "inr/dtype.h"

namespace inr {

size_t dtype_size(DType t) {
  switch (t) {
    case DType::kF32: return 4;
    case DType::kF16: return 2;
    case DType::kBF16: return 2;
    case DType::kF64: return 8;
    case DType::kI8: return 1;
    case DType::kU8: return 1;
    case DType::kI16: return 2;
    case DType::kU16: return 2;
    case DType::kI32: return 4;
    case DType::kI64: return 8;
    case DType::kBool: return 1;
    case DType::kI4:
    case DType::kU4:
    case DType::kUndefined: return 0;
  }
  return 0;
}

size_t dtype_bytes(DType t, int64_t count) {
  if (t == DType::kI4 || t == DType::kU4) return static_cast<size_t>((count + 1) / 2);
  return dtype_size(t) * static_cast<size_t>(count);
}

std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::kF32: return "f32";
    case DType::kF16: return "f16";
    case DType::kBF16: return "bf16";
    case DType::kF64: return "f64";
    case DType::kI8: return "i8";
    case DType::kU8: return "u8";
    case DType::kI4: return "i4";
    case DType::kU4: return "u4";
    case DType::kI16: return "i16";
    case DType::kU16: return "u16";
    case DType::kI32: return "i32";
    case DType::kI64: return "i64";
    case DType::kBool: return "bool";
    case DType::kUndefined: return "undefined";
  }
  return "undefined";
}

bool dtype_is_float(DType t) {
  return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16 || t == DType::kF64;
}

bool dtype_is_quantized_int(DType t) {
  return t == DType::kI8 || t == DType::kU8 || t == DType::kI4 || t == DType::kU4 || t == DType::kI16 ||
         t == DType::kU16;
}

// Values from onnx.proto TensorProto.DataType.
DType dtype_from_onnx(int onnx_type) {
  switch (onnx_type) {
    case 1: return DType::kF32;
    case 2: return DType::kU8;
    case 3: return DType::kI8;
    case 4: return DType::kU16;
    case 5: return DType::kI16;
    case 6: return DType::kI32;
    case 7: return DType::kI64;
    case 9: return DType::kBool;
    case 10: return DType::kF16;
    case 11: return DType::kF64;
    case 16: return DType::kBF16;
    case 21: return DType::kU4;
    case 22: return DType::kI4;
    default: return DType::kUndefined;
  }
}

int dtype_to_onnx(DType t) {
  switch (t) {
    case DType::kF32: return 1;
    case DType::kU8: return 2;
    case DType::kI8: return 3;
    case DType::kU16: return 4;
    case DType::kI16: return 5;
    case DType::kI32: return 6;
    case DType::kI64: return 7;
    case DType::kBool: return 9;
    case DType::kF16: return 10;
    case DType::kF64: return 11;
    case DType::kBF16: return 16;
    case DType::kU4: return 21;
    case DType::kI4: return 22;
    case DType::kUndefined: return 0;
  }
  return 0;
}

}  // namespace inr
