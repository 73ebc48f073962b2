#include "naive.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "op_case.h"

namespace inr::test {

Tensor naive_unary(const Tensor& x, const std::function<double(double)>& f, DType out) {
  std::vector<double> v(static_cast<size_t>(x.numel()));
  for (int64_t i = 0; i < x.numel(); ++i) v[i] = f(element(x, i));
  return tensor(out == DType::kUndefined ? x.dtype() : out, x.shape(), v);
}

Shape naive_broadcast_shape(const std::vector<Shape>& shapes) {
  size_t r = 0;
  for (const Shape& s : shapes) r = std::max(r, s.size());
  Shape out(r, 1);
  for (const Shape& s : shapes)
    for (size_t k = 0; k < s.size(); ++k) {
      int64_t& d = out[r - s.size() + k];
      if (s[k] != 1) d = s[k];
    }
  return out;
}

Tensor naive_nary(const std::vector<Tensor>& xs, const std::function<double(const std::vector<double>&)>& f, DType out) {
  std::vector<Shape> shapes;
  for (const Tensor& t : xs) shapes.push_back(t.shape());
  Shape os = naive_broadcast_shape(shapes);
  int64_t n = shape_numel(os);
  std::vector<double> result(static_cast<size_t>(n)), args(xs.size());
  for (int64_t i = 0; i < n; ++i) {
    // Unravel i over the output, then ravel over each operand with size-1 dims pinned to 0.
    std::vector<int64_t> idx(os.size());
    int64_t rem = i;
    for (size_t d = os.size(); d-- > 0;) {
      idx[d] = rem % os[d];
      rem /= os[d];
    }
    for (size_t k = 0; k < xs.size(); ++k) {
      const Shape& s = xs[k].shape();
      int64_t flat = 0;
      for (size_t d = 0; d < s.size(); ++d) {
        int64_t id = idx[os.size() - s.size() + d];
        flat = flat * s[d] + (s[d] == 1 ? 0 : id);
      }
      args[k] = element(xs[k], flat);
    }
    result[i] = f(args);
  }
  return tensor(out == DType::kUndefined ? xs[0].dtype() : out, os, result);
}

void naive_same_pads(const Shape& in, NaiveWindow& w, bool upper) {
  size_t r = in.size();
  w.pad_begin.assign(r, 0);
  w.pad_end.assign(r, 0);
  for (size_t d = 0; d < r; ++d) {
    int64_t out = (in[d] + w.stride[d] - 1) / w.stride[d];
    int64_t need = (out - 1) * w.stride[d] + (w.kernel[d] - 1) * w.dilation[d] + 1 - in[d];
    need = std::max<int64_t>(need, 0);
    w.pad_begin[d] = upper ? need / 2 : need - need / 2;
    w.pad_end[d] = need - w.pad_begin[d];
  }
}

std::vector<int64_t> naive_out_spatial(const Shape& in, const NaiveWindow& w, bool ceil_mode) {
  std::vector<int64_t> out(in.size());
  for (size_t d = 0; d < in.size(); ++d) {
    double span = static_cast<double>((w.kernel[d] - 1) * w.dilation[d] + 1);
    double q = (static_cast<double>(in[d] + w.pad_begin[d] + w.pad_end[d]) - span) / static_cast<double>(w.stride[d]);
    out[d] = static_cast<int64_t>(ceil_mode ? std::ceil(q) : std::floor(q)) + 1;
    if (ceil_mode && (out[d] - 1) * w.stride[d] >= in[d] + w.pad_begin[d]) --out[d];
  }
  return out;
}

namespace {
// Calls f(output multi-index, flat output index) over a spatial grid of any rank.
void for_grid(const std::vector<int64_t>& dims, const std::function<void(const std::vector<int64_t>&)>& f) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  std::vector<int64_t> idx(dims.size());
  for (int64_t i = 0; i < n; ++i) {
    int64_t rem = i;
    for (size_t d = dims.size(); d-- > 0;) {
      idx[d] = rem % dims[d];
      rem /= dims[d];
    }
    f(idx);
  }
}

int64_t ravel(const std::vector<int64_t>& idx, const Shape& dims) {
  int64_t flat = 0;
  for (size_t d = 0; d < dims.size(); ++d) flat = flat * dims[d] + idx[d];
  return flat;
}
}  // namespace

Tensor naive_conv(const Tensor& x, const Tensor& w, const Tensor* bias, const NaiveWindow& win, int64_t group) {
  const Shape& xs = x.shape();
  const Shape& ws = w.shape();
  Shape in_sp(xs.begin() + 2, xs.end()), k_sp(ws.begin() + 2, ws.end());
  std::vector<int64_t> out_sp = naive_out_spatial(in_sp, win, false);
  int64_t n_img = xs[0], c_in = xs[1], m_out = ws[0], cg = c_in / group, mg = m_out / group;
  Shape os{n_img, m_out};
  os.insert(os.end(), out_sp.begin(), out_sp.end());
  std::vector<double> y;
  for (int64_t n = 0; n < n_img; ++n)
    for (int64_t m = 0; m < m_out; ++m)
      for_grid(out_sp, [&](const std::vector<int64_t>& o) {
        double acc = bias ? element(*bias, m) : 0.0;
        int64_t g = m / mg;
        for (int64_t c = 0; c < cg; ++c)
          for_grid(k_sp, [&](const std::vector<int64_t>& k) {
            std::vector<int64_t> pos(o.size());
            for (size_t d = 0; d < o.size(); ++d) {
              pos[d] = o[d] * win.stride[d] - win.pad_begin[d] + k[d] * win.dilation[d];
              if (pos[d] < 0 || pos[d] >= in_sp[d]) return;
            }
            double xv = element(x, (n * c_in + g * cg + c) * shape_numel(in_sp) + ravel(pos, in_sp));
            double wv = element(w, (m * cg + c) * shape_numel(k_sp) + ravel(k, k_sp));
            acc += xv * wv;
          });
        y.push_back(acc);
      });
  return tensor(DType::kF32, os, y);
}

Tensor naive_pool(const Tensor& x, const NaiveWindow& win, bool ceil_mode, const std::string& kind,
                  bool count_include_pad) {
  const Shape& xs = x.shape();
  Shape in_sp(xs.begin() + 2, xs.end());
  std::vector<int64_t> out_sp = naive_out_spatial(in_sp, win, ceil_mode);
  Shape os{xs[0], xs[1]};
  os.insert(os.end(), out_sp.begin(), out_sp.end());
  std::vector<double> y;
  for (int64_t p = 0; p < xs[0] * xs[1]; ++p)
    for_grid(out_sp, [&](const std::vector<int64_t>& o) {
      double mx = -std::numeric_limits<double>::infinity(), sum = 0;
      int64_t inside = 0, padded = 0;
      for_grid(win.kernel, [&](const std::vector<int64_t>& k) {
        std::vector<int64_t> pos(o.size());
        bool in = true, in_padded = true;
        for (size_t d = 0; d < o.size(); ++d) {
          pos[d] = o[d] * win.stride[d] - win.pad_begin[d] + k[d] * win.dilation[d];
          in = in && pos[d] >= 0 && pos[d] < in_sp[d];
          in_padded = in_padded && pos[d] < in_sp[d] + win.pad_end[d];
        }
        padded += in_padded;
        if (!in) return;
        double v = element(x, p * shape_numel(in_sp) + ravel(pos, in_sp));
        mx = std::max(mx, v);
        sum += v;
        ++inside;
      });
      y.push_back(kind == "max" ? mx : sum / static_cast<double>(count_include_pad ? padded : inside));
    });
  return tensor(x.dtype(), os, y);
}

}  // namespace inr::test
