// NumPy .npy files (format version 1.0/2.0/3.0, https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
// the interchange format for tensors that inr writes for Python tools and reads back in tests.
//
// Contract:
//  - write_npy writes little-endian, C-order (fortran_order False), version 1.0 (2.0 when the header
//    would exceed 65535 bytes), through AtomicFile: an error never leaves a partial file behind.
//  - read_npy accepts versions 1.0-3.0, little-endian or byte-order-free dtypes, C order only, and the
//    dtypes f4 f2 f8 i1 u1 i2 u2 i4 i8 b1 (the DType names inr has). It validates the header fully
//    (the data length must match the shape) so it is safe on untrusted files.
//  - Both are thread-safe (no shared state).
#pragma once

#include <string>
#include <string_view>

#include "inr/status.h"
#include "inr/tensor.h"

namespace inr {

// Serialises `t` (any dtype with a NumPy equivalent; not the packed 4-bit types) to .npy bytes.
Result<std::string> encode_npy(const Tensor& t);
Status write_npy(const std::string& path, const Tensor& t);

Result<Tensor> decode_npy(std::string_view bytes);  // errors say what is wrong with the header
Result<Tensor> read_npy(const std::string& path);   // errors are prefixed with the path

}  // namespace inr
