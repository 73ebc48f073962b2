// .npy reader/writer, written by hand: the format is a 10-byte preamble, a Python-literal dict header
// and raw data, and no maintained C++ library for it is packaged in Debian (cnpy is not).
#include "core/npy.h"

#include <cstring>
#include <optional>

#include "core/file.h"
#include "core/tensor_size.h"

namespace inr {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
constexpr size_t kHeaderAlign = 64;  // NumPy pads the header so the data starts 64-byte aligned

struct DescrMap {
  DType dtype;
  const char* descr;
};
// '<' for multi-byte types (x86-64 is little-endian), '|' where byte order does not apply.
constexpr DescrMap kDescrs[] = {
    {DType::kF32, "<f4"}, {DType::kF16, "<f2"}, {DType::kF64, "<f8"}, {DType::kI8, "|i1"},
    {DType::kU8, "|u1"},  {DType::kI16, "<i2"}, {DType::kU16, "<u2"}, {DType::kI32, "<i4"},
    {DType::kI64, "<i8"}, {DType::kBool, "|b1"},
};

std::optional<DType> dtype_from_descr(std::string_view d) {
  for (const DescrMap& m : kDescrs) {
    std::string_view want = m.descr;
    if (d == want) return m.dtype;
    // '=' (native) is little-endian here; single-byte types may also be written with '<'.
    if (d.size() == want.size() && want.substr(1) == d.substr(1) && (d[0] == '=' || d[0] == '<' || d[0] == '|'))
      return m.dtype;
  }
  return std::nullopt;
}

// Finds the value text after 'key': in the header dict (NumPy always writes the three keys).
std::optional<std::string_view> dict_value(std::string_view header, std::string_view key) {
  std::string quoted(1, '\'');
  quoted.append(key);
  quoted.push_back('\'');
  size_t k = header.find(quoted);
  if (k == std::string_view::npos) return std::nullopt;
  size_t colon = header.find(':', k + quoted.size());
  if (colon == std::string_view::npos) return std::nullopt;
  size_t v = colon + 1;
  while (v < header.size() && header[v] == ' ') ++v;
  return header.substr(v);
}

}  // namespace

Result<std::string> encode_npy(const Tensor& t) {
  const char* descr = nullptr;
  for (const DescrMap& m : kDescrs)
    if (m.dtype == t.dtype()) descr = m.descr;
  if (descr == nullptr) return error("npy: dtype {} has no NumPy equivalent", dtype_name(t.dtype()));
  std::string shape;
  for (size_t i = 0; i < t.shape().size(); ++i) shape += fmt::format("{}, ", t.shape()[i]);
  if (t.shape().size() > 1) shape.resize(shape.size() - 2);  // "(3, 4)"; a 1-d shape keeps "(3,)"
  if (t.shape().size() == 1) shape.resize(shape.size() - 1);
  std::string dict = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': ({}), }}", descr, shape);
  // Preamble is magic + 2 version bytes + header length (2 bytes in v1, 4 in v2); the header ends in \n.
  size_t preamble = kMagicLen + 2 + 2;
  bool v2 = false;
  size_t total = preamble + dict.size() + 1;
  size_t padded = (total + kHeaderAlign - 1) / kHeaderAlign * kHeaderAlign;
  if (padded - preamble > 0xffff) {
    v2 = true;
    preamble = kMagicLen + 2 + 4;
    total = preamble + dict.size() + 1;
    padded = (total + kHeaderAlign - 1) / kHeaderAlign * kHeaderAlign;
  }
  dict.append(padded - total, ' ');
  dict.push_back('\n');
  std::string out;
  out.reserve(padded + t.bytes());
  out.append(kMagic, kMagicLen);
  out.push_back(static_cast<char>(v2 ? 2 : 1));
  out.push_back(0);
  uint32_t len = static_cast<uint32_t>(dict.size());
  out.push_back(static_cast<char>(len & 0xff));
  out.push_back(static_cast<char>((len >> 8) & 0xff));
  if (v2) {
    out.push_back(static_cast<char>((len >> 16) & 0xff));
    out.push_back(static_cast<char>((len >> 24) & 0xff));
  }
  out += dict;
  if (t.bytes() > 0) out.append(static_cast<const char*>(t.raw()), t.bytes());
  return out;
}

Status write_npy(const std::string& path, const Tensor& t) {
  auto bytes = encode_npy(t);
  if (!bytes) return bytes.status().with_context(path);
  return write_file_atomic(path, *bytes);
}

Result<Tensor> decode_npy(std::string_view b) {
  if (b.size() < kMagicLen + 4 || std::memcmp(b.data(), kMagic, kMagicLen) != 0)
    return error("not a .npy file (bad magic)");
  int major = static_cast<uint8_t>(b[kMagicLen]);
  size_t pos = kMagicLen + 2;
  size_t hlen = 0;
  if (major == 1) {
    hlen = static_cast<uint8_t>(b[pos]) | (static_cast<size_t>(static_cast<uint8_t>(b[pos + 1])) << 8);
    pos += 2;
  } else if (major == 2 || major == 3) {
    if (b.size() < pos + 4) return error("npy: truncated header");
    for (int i = 3; i >= 0; --i) hlen = (hlen << 8) | static_cast<uint8_t>(b[pos + static_cast<size_t>(i)]);
    pos += 4;
  } else {
    return error("npy: unsupported format version {}", major);
  }
  if (b.size() - pos < hlen) return error("npy: truncated header");
  std::string_view header = b.substr(pos, hlen);
  pos += hlen;

  auto descr_v = dict_value(header, "descr");
  auto fortran_v = dict_value(header, "fortran_order");
  auto shape_v = dict_value(header, "shape");
  if (!descr_v || !fortran_v || !shape_v) return error("npy: header lacks descr/fortran_order/shape");
  if (descr_v->empty() || (*descr_v)[0] != '\'') return error("npy: descr is not a simple type string");
  size_t dend = descr_v->find('\'', 1);
  if (dend == std::string_view::npos) return error("npy: unterminated descr");
  std::string_view descr = descr_v->substr(1, dend - 1);
  auto dtype = dtype_from_descr(descr);
  if (!dtype) return error("npy: unsupported dtype '{}'", descr);
  if (fortran_v->substr(0, 5) != "False") return error("npy: fortran_order arrays are not supported");
  if (shape_v->empty() || (*shape_v)[0] != '(') return error("npy: malformed shape");
  size_t send = shape_v->find(')');
  if (send == std::string_view::npos) return error("npy: malformed shape");
  std::string_view dims = shape_v->substr(1, send - 1);
  Shape shape;
  size_t i = 0;
  while (i < dims.size()) {
    while (i < dims.size() && (dims[i] == ' ' || dims[i] == ',')) ++i;
    if (i >= dims.size()) break;
    if (dims[i] < '0' || dims[i] > '9') return error("npy: malformed shape");
    int64_t d = 0;
    while (i < dims.size() && dims[i] >= '0' && dims[i] <= '9') {
      d = d * 10 + (dims[i] - '0');
      if (d > (int64_t{1} << 40)) return error("npy: dimension too large");
      ++i;
    }
    shape.push_back(d);
  }
  INR_ASSIGN_OR_RETURN(const int64_t numel, checked_numel(shape, *dtype, "npy"));
  size_t need = dtype_bytes(*dtype, numel);
  if (b.size() - pos != need)
    return error("npy: data is {} bytes, shape {} of {} needs {}", b.size() - pos, shape_str(shape),
                 dtype_name(*dtype), need);
  Tensor t = Tensor::empty(*dtype, shape);
  if (need > 0) std::memcpy(t.raw(), b.data() + pos, need);
  return t;
}

Result<Tensor> read_npy(const std::string& path) {
  INR_ASSIGN_OR_RETURN(std::string bytes, read_file(path));
  auto t = decode_npy(bytes);
  if (!t) return t.status().with_context(path);
  return t;
}

}  // namespace inr
