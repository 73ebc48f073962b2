// Cast: converts to the dtype `to` (an ONNX TensorProto.DataType) among f32, f16, bf16, f64, i8, u8, i16,
// u16, i32, i64 and bool. ONNX spec: https://onnx.ai/onnx/operators/onnx__Cast.html (opsets 6, 9, 13).
// Float -> integer truncates toward zero (C semantics, as ONNX Runtime does) and then wraps to the target
// width like numpy's astype; NaN becomes 0 and values beyond int64 saturate (C++ leaves both undefined).
// Anything -> bool is x != 0. f16/bf16 round to nearest even (core/half.h). Strings are out of scope.
#include <cmath>
#include <limits>

#include "core/half.h"
#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
bool castable(DType t) {
  switch (t) {
    case DType::kF32: case DType::kF16: case DType::kBF16: case DType::kF64: case DType::kI8: case DType::kU8:
    case DType::kI16: case DType::kU16: case DType::kI32: case DType::kI64: case DType::kBool:
      return true;
    default:
      return false;
  }
}

bool is_float(DType t) { return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16 || t == DType::kF64; }

double load_float(const void* p, DType t, int64_t i) {
  switch (t) {
    case DType::kF32: return static_cast<const float*>(p)[i];
    case DType::kF16: return f16_to_f32(static_cast<const uint16_t*>(p)[i]);
    case DType::kBF16: return bf16_to_f32(static_cast<const uint16_t*>(p)[i]);
    default: return static_cast<const double*>(p)[i];
  }
}

int64_t load_int(const void* p, DType t, int64_t i) {
  switch (t) {
    case DType::kI8: return static_cast<const int8_t*>(p)[i];
    case DType::kU8: return static_cast<const uint8_t*>(p)[i];
    case DType::kI16: return static_cast<const int16_t*>(p)[i];
    case DType::kU16: return static_cast<const uint16_t*>(p)[i];
    case DType::kI32: return static_cast<const int32_t*>(p)[i];
    case DType::kBool: return static_cast<const uint8_t*>(p)[i] != 0;
    default: return static_cast<const int64_t*>(p)[i];
  }
}

// Truncation toward zero with NaN -> 0 and saturation at the int64 range.
int64_t float_to_int(double v) {
  if (std::isnan(v)) return 0;
  constexpr double kInt64Limit = 9223372036854775808.0;  // 2^63
  if (v >= kInt64Limit) return std::numeric_limits<int64_t>::max();
  if (v < -kInt64Limit) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(v);
}

void store_int(void* p, DType t, int64_t i, int64_t v) {
  // Narrowing wraps modulo 2^width (well-defined since C++20).
  switch (t) {
    case DType::kI8: static_cast<int8_t*>(p)[i] = static_cast<int8_t>(v); break;
    case DType::kU8: static_cast<uint8_t*>(p)[i] = static_cast<uint8_t>(v); break;
    case DType::kI16: static_cast<int16_t*>(p)[i] = static_cast<int16_t>(v); break;
    case DType::kU16: static_cast<uint16_t*>(p)[i] = static_cast<uint16_t>(v); break;
    case DType::kI32: static_cast<int32_t*>(p)[i] = static_cast<int32_t>(v); break;
    case DType::kBool: static_cast<uint8_t*>(p)[i] = v != 0; break;
    default: static_cast<int64_t*>(p)[i] = v; break;
  }
}

void store_float(void* p, DType t, int64_t i, double v) {
  switch (t) {
    case DType::kF32: static_cast<float*>(p)[i] = static_cast<float>(v); break;
    // f64 -> f16/bf16 rounds twice (to f32, then to 16 bits): in rare near-tie cases one 16-bit ulp away
    // from a direct rounding, which the ONNX node tests' tolerance covers.
    case DType::kF16: static_cast<uint16_t*>(p)[i] = f32_to_f16(static_cast<float>(v)); break;
    case DType::kBF16: static_cast<uint16_t*>(p)[i] = f32_to_bf16(static_cast<float>(v)); break;
    default: static_cast<double*>(p)[i] = v; break;
  }
}

Status run(const Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  DType from = in[0].dtype(), to = out[0].dtype();
  const void* src = in[0].raw();
  void* dst = out[0].raw();
  int64_t n = in[0].numel();
  if (is_float(from)) {
    for (int64_t i = 0; i < n; ++i) {
      double v = load_float(src, from, i);
      if (is_float(to)) {
        store_float(dst, to, i, v);
      } else {
        store_int(dst, to, i, to == DType::kBool ? (v != 0.0) : float_to_int(v));
      }
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      int64_t v = load_int(src, from, i);
      if (is_float(to)) {
        store_float(dst, to, i, static_cast<double>(v));
      } else {
        store_int(dst, to, i, v);
      }
    }
  }
  return Status::ok();
}
Status infer(Node& node) {
  const Value* x = node.inputs[0];
  if (!castable(x->dtype)) return error("input '{}' has dtype {}, which Cast does not support", x->name, dtype_name(x->dtype));
  if (!node.has_attr("to")) return error("attribute to is required");
  int64_t to_onnx = node.attr_int("to", 0);
  DType to = dtype_from_onnx(static_cast<int>(to_onnx));
  if (!castable(to)) return error("unsupported target dtype (ONNX type {})", to_onnx);
  set_output(node, 0, to, x->shape);
  return fold_int_constants(node, run);
}

}  // namespace

const OpSchema& schema_cast() {
  static const OpSchema s{Op::kCast, 1, 1, 1, 1, infer, run};
  return s;
}

}  // namespace inr
