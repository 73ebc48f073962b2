// Case tables for MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, BatchNormalization and LRN.
// Independent checks: a direct window walk in double (naive.h) with the test's own output-size and
// auto_pad formulas; the spec formulas for BatchNormalization and LRN; hand-computed ceil_mode windows.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "naive.h"
#include "op_case.h"

namespace inr::test {

namespace {
constexpr double kMaxRtol = 0.0;  // MaxPool selects an input element: exact
constexpr double kAvgRtol = 1e-6;  // double sum, one f32 rounding
constexpr double kAvgAtol = 1e-7;

struct PoolSpec {
  std::string name;
  Shape x;
  std::vector<int64_t> kernel, strides, dilations, pads;
  std::string auto_pad;
  bool ceil_mode = false;
  bool count_include_pad = false;
  DType dtype = DType::kF32;
};

OpCase pool_case(const PoolSpec& s, const std::string& op) {
  size_t r = s.kernel.size();
  std::map<std::string, Attr> a{{"kernel_shape", Attr::of_ints(s.kernel)}};
  if (!s.strides.empty()) a["strides"] = Attr::of_ints(s.strides);
  if (!s.dilations.empty()) a["dilations"] = Attr::of_ints(s.dilations);
  if (!s.pads.empty()) a["pads"] = Attr::of_ints(s.pads);
  if (!s.auto_pad.empty()) a["auto_pad"] = Attr::of_string(s.auto_pad);
  if (s.ceil_mode) a["ceil_mode"] = Attr::of_int(1);
  if (s.count_include_pad) a["count_include_pad"] = Attr::of_int(1);
  NaiveWindow w;
  w.kernel = s.kernel;
  w.stride = s.strides.empty() ? std::vector<int64_t>(r, 1) : s.strides;
  w.dilation = s.dilations.empty() ? std::vector<int64_t>(r, 1) : s.dilations;
  w.pad_begin.assign(r, 0);
  w.pad_end.assign(r, 0);
  if (!s.auto_pad.empty() && s.auto_pad != "VALID") {
    naive_same_pads(Shape(s.x.begin() + 2, s.x.end()), w, s.auto_pad == "SAME_UPPER");
  } else if (!s.pads.empty()) {
    w.pad_begin.assign(s.pads.begin(), s.pads.begin() + static_cast<int64_t>(r));
    w.pad_end.assign(s.pads.begin() + static_cast<int64_t>(r), s.pads.end());
  }
  bool is_max = op == "MaxPool";
  CaseInput x = in("x", s.x, s.dtype);
  if (s.dtype != DType::kF32) {
    x.lo = s.dtype == DType::kU8 ? 0 : -128;
    x.hi = s.dtype == DType::kU8 ? 255 : 127;
  }
  bool ceil = s.ceil_mode, cip = s.count_include_pad;
  return OpCase{.name = s.name, .op_type = op, .attrs = a, .inputs = {x}, .rtol = is_max ? kMaxRtol : kAvgRtol,
                .atol = is_max ? 0.0 : kAvgAtol, .oracle = [w, ceil, cip, is_max](const std::vector<Tensor>& t) {
                  return std::vector<Tensor>{naive_pool(t[0], w, ceil, is_max ? "max" : "avg", cip)};
                }};
}
}  // namespace

std::vector<OpCase> max_pool_cases() {
  std::vector<PoolSpec> specs = {
      {.name = "max_pool_3x3_s2_pad1", .x = {2, 5, 7, 9}, .kernel = {3, 3}, .strides = {2, 2}, .pads = {1, 1, 1, 1}},
      {.name = "max_pool_ceil_mode", .x = {1, 3, 8, 9}, .kernel = {3, 3}, .strides = {2, 2}, .ceil_mode = true},
      {.name = "max_pool_dilation2_asym_pads", .x = {1, 5, 9, 7}, .kernel = {2, 3}, .dilations = {2, 2}, .pads = {0, 1, 2, 1}},
      {.name = "max_pool_same_upper", .x = {1, 3, 7, 9}, .kernel = {2, 2}, .strides = {2, 2}, .auto_pad = "SAME_UPPER"},
      {.name = "max_pool_same_lower", .x = {1, 3, 7, 9}, .kernel = {2, 2}, .strides = {2, 2}, .auto_pad = "SAME_LOWER"},
      {.name = "max_pool_1d", .x = {2, 3, 11}, .kernel = {3}, .strides = {2}},
      {.name = "max_pool_3d", .x = {1, 2, 5, 6, 7}, .kernel = {2, 3, 2}, .strides = {2, 1, 2}, .pads = {0, 1, 0, 1, 1, 1}},
      {.name = "max_pool_u8", .x = {1, 3, 7, 9}, .kernel = {3, 3}, .strides = {2, 2}, .dtype = DType::kU8},
      {.name = "max_pool_i8_pad", .x = {1, 3, 7, 9}, .kernel = {3, 3}, .pads = {1, 1, 1, 1}, .dtype = DType::kI8},
  };
  std::vector<OpCase> v;
  for (const PoolSpec& s : specs) v.push_back(pool_case(s, "MaxPool"));
  return v;
}

std::vector<OpCase> average_pool_cases() {
  std::vector<PoolSpec> specs = {
      {.name = "avg_pool_3x3_s2_pad1_exclude_pad", .x = {2, 5, 7, 9}, .kernel = {3, 3}, .strides = {2, 2}, .pads = {1, 1, 1, 1}},
      {.name = "avg_pool_include_pad_asym", .x = {1, 3, 7, 9}, .kernel = {3, 2}, .pads = {1, 0, 2, 1}, .count_include_pad = true},
      {.name = "avg_pool_ceil_mode", .x = {1, 3, 8, 9}, .kernel = {3, 3}, .strides = {2, 2}, .ceil_mode = true},
      {.name = "avg_pool_ceil_include_pad", .x = {1, 2, 8, 9}, .kernel = {3, 3}, .strides = {2, 2}, .pads = {1, 1, 1, 1},
       .ceil_mode = true, .count_include_pad = true},
      {.name = "avg_pool_same_lower", .x = {1, 3, 7, 9}, .kernel = {3, 2}, .strides = {2, 2}, .auto_pad = "SAME_LOWER"},
      {.name = "avg_pool_1d", .x = {2, 3, 11}, .kernel = {4}, .strides = {3}},
      {.name = "avg_pool_3d", .x = {1, 2, 5, 6, 7}, .kernel = {2, 2, 3}, .strides = {1, 2, 2}},
  };
  std::vector<OpCase> v;
  for (const PoolSpec& s : specs) v.push_back(pool_case(s, "AveragePool"));
  // Hand-computed ceil_mode window that runs past the padded input: x = 1..5 (1-d), kernel 2, stride 2,
  // ceil_mode: windows [1,2], [3,4], [5] -> the last averages only what it covers (5), even with
  // count_include_pad (no padding there).
  v.push_back(OpCase{.name = "avg_pool_ceil_partial_window_by_hand", .op_type = "AveragePool",
                     .attrs = {{"kernel_shape", Attr::of_ints({2})}, {"strides", Attr::of_ints({2})},
                               {"ceil_mode", Attr::of_int(1)}, {"count_include_pad", Attr::of_int(1)}},
                     .inputs = {in_values("x", {1, 1, 5}, {1, 2, 3, 4, 5})},
                     .rtol = kAvgRtol, .expected = {tensor(DType::kF32, {1, 1, 3}, {1.5, 3.5, 5})}});
  return v;
}

namespace {
OpCase global_case(std::string name, std::string op, Shape x, bool is_max) {
  return OpCase{.name = std::move(name), .op_type = std::move(op), .inputs = {in("x", x)}, .rtol = kAvgRtol, .atol = kAvgAtol,
                .oracle = [is_max](const std::vector<Tensor>& t) {
                  const Shape& s = t[0].shape();
                  int64_t planes = s[0] * s[1], size = t[0].numel() / planes;
                  std::vector<double> v;
                  for (int64_t p = 0; p < planes; ++p) {
                    double acc = is_max ? -INFINITY : 0.0;
                    for (int64_t i = 0; i < size; ++i) acc = is_max ? std::max(acc, element(t[0], p * size + i)) : acc + element(t[0], p * size + i);
                    v.push_back(is_max ? acc : acc / static_cast<double>(size));
                  }
                  Shape out(s.size(), 1);
                  out[0] = s[0];
                  out[1] = s[1];
                  return std::vector<Tensor>{tensor(DType::kF32, out, v)};
                }};
}
}  // namespace

std::vector<OpCase> global_average_pool_cases() {
  return {global_case("global_avg_pool_2d", "GlobalAveragePool", {2, 5, 7, 9}, false),
          global_case("global_avg_pool_1d", "GlobalAveragePool", {3, 4, 11}, false)};
}
std::vector<OpCase> global_max_pool_cases() {
  return {global_case("global_max_pool_2d", "GlobalMaxPool", {2, 5, 7, 9}, true),
          global_case("global_max_pool_3d", "GlobalMaxPool", {1, 3, 3, 4, 5}, true)};
}

std::vector<OpCase> batch_normalization_cases() {
  auto oracle = [](double eps) {
    return [eps](const std::vector<Tensor>& t) {
      const Shape& s = t[0].shape();
      int64_t c_dim = s[1], plane = t[0].numel() / (s[0] * s[1]);
      std::vector<double> v(static_cast<size_t>(t[0].numel()));
      for (int64_t i = 0; i < t[0].numel(); ++i) {
        int64_t c = (i / plane) % c_dim;
        v[i] = (element(t[0], i) - element(t[3], c)) / std::sqrt(element(t[4], c) + eps) * element(t[1], c) + element(t[2], c);
      }
      return std::vector<Tensor>{tensor(DType::kF32, s, v)};
    };
  };
  auto bn = [&](std::string name, Shape x, int64_t opset, std::map<std::string, Attr> attrs, double eps) {
    int64_t c = x[1];
    CaseInput var = constant(in("var", {c}));
    var.lo = 0.1;
    var.hi = 2.0;
    return OpCase{.name = std::move(name), .op_type = "BatchNormalization", .opset = opset, .attrs = std::move(attrs),
                  .inputs = {in("x", x), constant(in("scale", {c})), constant(in("b", {c})), constant(in("mean", {c})), var},
                  .rtol = 1e-5, .atol = 1e-6, .oracle = oracle(eps)};
  };
  return {bn("batch_norm_default_eps", {2, 5, 7, 9}, 15, {}, static_cast<double>(1e-5f)),
          bn("batch_norm_eps_opset9_2d", {7, 5}, 9, {{"epsilon", Attr::of_float(1e-2f)}}, static_cast<double>(1e-2f)),
          bn("batch_norm_opset7_3d", {1, 3, 5}, 7, {}, static_cast<double>(1e-5f))};
}

std::vector<OpCase> lrn_cases() {
  auto lrn = [](std::string name, Shape x, int64_t size, double alpha, double beta, double bias, std::map<std::string, Attr> attrs) {
    attrs["size"] = Attr::of_int(size);
    return OpCase{.name = std::move(name), .op_type = "LRN", .attrs = std::move(attrs), .inputs = {in("x", x)}, .rtol = 1e-5, .atol = 1e-7,
                  .oracle = [=](const std::vector<Tensor>& t) {
                    const Shape& s = t[0].shape();
                    int64_t c_dim = s[1], plane = t[0].numel() / (s[0] * s[1]);
                    std::vector<double> v(static_cast<size_t>(t[0].numel()));
                    for (int64_t i = 0; i < t[0].numel(); ++i) {
                      int64_t c = (i / plane) % c_dim, base = i - c * plane;
                      double sq = 0;
                      for (int64_t k = c - (size - 1) / 2; k <= c + (size - 1) - (size - 1) / 2; ++k)
                        if (k >= 0 && k < c_dim) sq += element(t[0], base + k * plane) * element(t[0], base + k * plane);
                      v[i] = element(t[0], i) / std::pow(bias + alpha / static_cast<double>(size) * sq, beta);
                    }
                    return std::vector<Tensor>{tensor(DType::kF32, s, v)};
                  }};
  };
  return {lrn("lrn_defaults_size3", {2, 5, 7, 9}, 3, static_cast<double>(1e-4f), 0.75, 1.0, {}),
          lrn("lrn_size4_even_alexnet", {1, 7, 3, 5}, 4, static_cast<double>(0.5f), static_cast<double>(0.6f), 2.0,
              {{"alpha", Attr::of_float(0.5f)}, {"beta", Attr::of_float(0.6f)}, {"bias", Attr::of_float(2.f)}})};
}

TEST(PoolNormErrors, ClearMessages) {
  auto msg = [](OpCase c) { return infer_case(c).message(); };
  OpCase indices{.name = "p", .op_type = "MaxPool", .attrs = {{"kernel_shape", Attr::of_ints({2, 2})}}, .inputs = {in("x", {1, 3, 7, 9})}, .outputs = 2};
  EXPECT_NE(msg(indices).find("Indices output is not supported"), std::string::npos) << msg(indices);
  OpCase order{.name = "p", .op_type = "MaxPool", .attrs = {{"kernel_shape", Attr::of_ints({2, 2})}, {"storage_order", Attr::of_int(1)}},
               .inputs = {in("x", {1, 3, 7, 9})}};
  EXPECT_NE(msg(order).find("storage_order 1 is not supported"), std::string::npos) << msg(order);
  OpCase no_kernel{.name = "p", .op_type = "AveragePool", .inputs = {in("x", {1, 3, 7, 9})}};
  EXPECT_NE(msg(no_kernel).find("kernel_shape is required"), std::string::npos) << msg(no_kernel);
  OpCase training{.name = "bn", .op_type = "BatchNormalization", .opset = 15, .attrs = {{"training_mode", Attr::of_int(1)}},
                  .inputs = {in("x", {1, 3, 4}), in("s", {3}), in("b", {3}), in("m", {3}), in("v", {3})}};
  EXPECT_NE(msg(training).find("training_mode=1 is not supported"), std::string::npos) << msg(training);
  OpCase stats{.name = "bn", .op_type = "BatchNormalization", .opset = 9,
               .inputs = {in("x", {1, 3, 4}), in("s", {3}), in("b", {3}), in("m", {3}), in("v", {3})}, .outputs = 3};
  EXPECT_NE(msg(stats).find("training statistics"), std::string::npos) << msg(stats);
  OpCase bn_shape{.name = "bn", .op_type = "BatchNormalization",
                  .inputs = {in("x", {1, 3, 4}), in("s", {4}), in("b", {3}), in("m", {3}), in("v", {3})}};
  EXPECT_NE(msg(bn_shape).find("has shape [4], expected [3]"), std::string::npos) << msg(bn_shape);
}

}  // namespace inr::test
