// Observer files (observer_io.h): a plain length-prefixed binary layout with a digest. Doubles and floats
// are stored as their bit patterns, so a histogram read back is the one written, bit for bit.
#include "quant/observer_io.h"

#include <bit>
#include <cmath>
#include <cstring>

#include "core/sha256.h"

namespace inr::quant {

static_assert(std::endian::native == std::endian::little, "observer files are written little-endian as in memory");

namespace {

constexpr std::string_view kMagic = "INROBS1\n";
constexpr size_t kDigestChars = 64;
constexpr int kMaxExponent = 200;  // a float bound is below 2^128; the exponent can only be near that

template <typename T>
void put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.append(b, sizeof(T));
}

class Reader {
 public:
  Reader(std::string_view bytes, const std::string& what) : bytes_(bytes), what_(what) {}
  template <typename T>
  Result<T> get(const char* field) {
    if (bytes_.size() - pos_ < sizeof(T)) return truncated(field);
    T v;
    std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  Result<std::string> text(size_t n, const char* field) {
    if (bytes_.size() - pos_ < n) return truncated(field);
    std::string s(bytes_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  size_t left() const { return bytes_.size() - pos_; }

 private:
  Status truncated(const char* field) const {
    return error("{}: observer file is truncated (at the {}, byte {} of {})", what_, field, pos_, bytes_.size());
  }
  std::string_view bytes_;
  const std::string& what_;
  size_t pos_ = 0;
};

}  // namespace

// Friend of MinMax and Histogram: the only code that sees their fields from outside.
class ObserverCodec {
 public:
  static void encode(std::string& out, const Observer& o) {
    put(out, o.minmax.lo_);
    put(out, o.minmax.hi_);
    put(out, o.minmax.count_);
    put(out, o.minmax.skipped_);
    const Histogram& h = o.hist;
    put(out, static_cast<uint8_t>(o.use_histogram));
    put(out, static_cast<uint32_t>(h.counts_.size()));
    put(out, static_cast<int32_t>(h.exp_));
    put(out, static_cast<uint8_t>(h.bound_ != 0.f));
    put(out, h.total_);
    out.append(reinterpret_cast<const char*>(h.counts_.data()), h.counts_.size() * sizeof(double));
  }

  static Result<Observer> decode(Reader& r, const std::string& what, const std::string& name) {
    auto bad = [&](std::string_view why) { return error("{}: tensor '{}': {}", what, name, why); };
    INR_ASSIGN_OR_RETURN(float lo, r.get<float>("minimum"));
    INR_ASSIGN_OR_RETURN(float hi, r.get<float>("maximum"));
    INR_ASSIGN_OR_RETURN(uint64_t count, r.get<uint64_t>("count"));
    INR_ASSIGN_OR_RETURN(uint64_t skipped, r.get<uint64_t>("skipped count"));
    INR_ASSIGN_OR_RETURN(uint8_t use_hist, r.get<uint8_t>("histogram flag"));
    INR_ASSIGN_OR_RETURN(uint32_t bins, r.get<uint32_t>("bins"));
    INR_ASSIGN_OR_RETURN(int32_t exp, r.get<int32_t>("exponent"));
    INR_ASSIGN_OR_RETURN(uint8_t bound_set, r.get<uint8_t>("bound flag"));
    INR_ASSIGN_OR_RETURN(double total, r.get<double>("total"));
    if (use_hist > 1 || bound_set > 1) return bad("flag is neither 0 nor 1");
    if (bins > (1u << 24) || !Histogram::validate_bins(static_cast<int>(bins))) return bad("bad bin count");
    if (std::abs(exp) > kMaxExponent) return bad("histogram exponent out of range");
    if (count > 0 && !(std::isfinite(lo) && std::isfinite(hi) && lo <= hi)) return bad("bad minimum/maximum");
    if (r.left() / sizeof(double) < bins) return error("{}: observer file is truncated (at the counts of '{}')", what, name);
    Observer o(static_cast<int>(bins), use_hist == 1);
    o.minmax.lo_ = lo;
    o.minmax.hi_ = hi;
    o.minmax.count_ = count;
    o.minmax.skipped_ = skipped;
    Histogram& h = o.hist;
    double sum = 0;
    for (uint32_t i = 0; i < bins; ++i) {
      INR_ASSIGN_OR_RETURN(double c, r.get<double>("counts"));
      if (!(c >= 0) || c != std::floor(c)) return bad("a histogram count is not a whole number >= 0");
      h.counts_[i] = c;
      sum += c;
    }
    if (sum != total) return bad("histogram counts do not add up to the total");
    h.total_ = total;
    h.exp_ = bound_set ? exp : 0;
    h.bound_ = bound_set ? std::ldexp(1.f, exp) : 0.f;
    // Without a bound only zeros can have been counted (bin bins/2; observer.h).
    if (!bound_set && total != h.counts_[bins / 2]) return bad("counts outside the zero bin without a bound");
    return o;
  }
};

std::string encode_observers(std::string_view header, const std::vector<std::string>& tensors,
                             const std::map<std::string, Observer>& observers) {
  std::string out(kMagic);
  put(out, static_cast<uint64_t>(header.size()));
  out.append(header);
  put(out, static_cast<uint64_t>(tensors.size()));
  for (const std::string& name : tensors) {
    put(out, static_cast<uint32_t>(name.size()));
    out.append(name);
    ObserverCodec::encode(out, observers.at(name));
  }
  Sha256 h;
  h.update(out.data(), out.size());
  out += h.hex_digest();
  return out;
}

Result<ObserverFile> decode_observers(std::string_view bytes, const std::string& what) {
  if (bytes.size() < kMagic.size() || bytes.substr(0, kMagic.size()) != kMagic)
    return error("{}: not an inr observer file (written by inr quantize --save-observers)", what);
  if (bytes.size() < kMagic.size() + kDigestChars) return error("{}: observer file is truncated", what);
  std::string_view body = bytes.substr(0, bytes.size() - kDigestChars);
  Sha256 h;
  h.update(body.data(), body.size());
  if (h.hex_digest() != bytes.substr(body.size()))
    return error("{}: observer file is truncated or damaged (its sha256 does not match)", what);
  Reader r(body.substr(kMagic.size()), what);
  ObserverFile f;
  INR_ASSIGN_OR_RETURN(uint64_t header_size, r.get<uint64_t>("header size"));
  if (header_size > r.left()) return error("{}: observer file is truncated (in the header)", what);
  INR_ASSIGN_OR_RETURN(f.header, r.text(header_size, "header"));
  INR_ASSIGN_OR_RETURN(uint64_t n, r.get<uint64_t>("tensor count"));
  for (uint64_t i = 0; i < n; ++i) {
    INR_ASSIGN_OR_RETURN(uint32_t name_size, r.get<uint32_t>("tensor name size"));
    INR_ASSIGN_OR_RETURN(std::string name, r.text(name_size, "tensor name"));
    INR_ASSIGN_OR_RETURN(Observer o, ObserverCodec::decode(r, what, name));
    if (!f.observers.emplace(name, std::move(o)).second) return error("{}: tensor '{}' is listed twice", what, name);
    f.tensors.push_back(std::move(name));
  }
  if (r.left() != 0) return error("{}: {} stray bytes after the last tensor", what, r.left());
  return f;
}

}  // namespace inr::quant
