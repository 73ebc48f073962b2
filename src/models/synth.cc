#include "models/synth.h"

#include <cmath>
#include <random>
#include <unordered_map>

#include "ops/op_schema.h"

namespace inr {

namespace {

// Builds a graph node by node and evaluates each node immediately on a calibration input, so that
// BatchNorm statistics can be measured from the activations that actually reach them.
class EagerBuilder {
 public:
  EagerBuilder(Graph& g, uint32_t seed) : g_(g), rng_(seed) {}

  Value* input(const std::string& name, Tensor calib) {
    Value* v = g_.add_input(name, DType::kF32, calib.shape());
    vals_[v] = std::move(calib);
    return v;
  }

  Value* constant(const std::string& name, Tensor t) {
    Value* v = g_.add_constant(name, t);
    vals_[v] = std::move(t);
    return v;
  }

  Result<Value*> node(const std::string& op_type, const std::string& name, std::vector<Value*> ins,
                      std::map<std::string, Attr> attrs = {}) {
    Value* out = g_.add_value_unique(name + "_out");
    Node* n = g_.add_node(name, op_type, "", std::move(ins), {out});
    n->attrs = std::move(attrs);
    n->attrs["_opset"] = Attr::of_int(g_.opset);
    INR_TRY(infer_node(*n));
    std::vector<Tensor> in_t;
    for (Value* v : n->inputs) in_t.push_back(v ? vals_.at(v) : Tensor());
    INR_ASSIGN_OR_RETURN(std::vector<Tensor> outs, run_reference_node(*n, in_t));
    vals_[out] = std::move(outs[0]);
    return out;
  }

  const Tensor& value_of(Value* v) const { return vals_.at(v); }
  std::mt19937& rng() { return rng_; }

  Tensor normal(Shape shape, float stddev, float mean = 0.f) {
    Tensor t = Tensor::empty(DType::kF32, std::move(shape));
    std::normal_distribution<float> d(mean, stddev);
    for (float& x : t.span<float>()) x = d(rng_);
    return t;
  }
  Tensor uniform(Shape shape, float lo, float hi) {
    Tensor t = Tensor::empty(DType::kF32, std::move(shape));
    std::uniform_real_distribution<float> d(lo, hi);
    for (float& x : t.span<float>()) x = d(rng_);
    return t;
  }

 private:
  Graph& g_;
  std::mt19937 rng_;
  std::unordered_map<Value*, Tensor> vals_;
};

constexpr float kBnEpsilon = 1e-5f;
constexpr float kGammaLo = 0.5f, kGammaHi = 1.5f;  // BN scale spread
constexpr float kBetaStd = 0.1f;                     // BN shift spread

class ResNetBuilder {
 public:
  ResNetBuilder(EagerBuilder& b) : b_(b) {}

  // conv (no bias, as torchvision) -> BN with measured statistics -> optional Relu.
  Result<Value*> conv_bn(Value* x, int64_t c_in, int64_t c_out, int64_t k, int64_t stride, const std::string& name,
                         bool relu) {
    // kaiming_normal_(mode="fan_out", nonlinearity="relu"): std = sqrt(2 / (c_out * k * k))
    float std = std::sqrt(2.f / static_cast<float>(c_out * k * k));
    Value* w = b_.constant(name + ".weight", b_.normal({c_out, c_in, k, k}, std));
    int64_t pad = k / 2;
    INR_ASSIGN_OR_RETURN(Value * y, b_.node("Conv", name, {x, w},
                                            {{"kernel_shape", Attr::of_ints({k, k})},
                                             {"strides", Attr::of_ints({stride, stride})},
                                             {"pads", Attr::of_ints({pad, pad, pad, pad})}}));
    // Measured per-channel statistics of y.
    const Tensor& t = b_.value_of(y);
    int64_t n = t.dim(0), hw = t.dim(2) * t.dim(3);
    Tensor mean = Tensor::zeros(DType::kF32, {c_out}), var = Tensor::zeros(DType::kF32, {c_out});
    for (int64_t c = 0; c < c_out; ++c) {
      double s = 0, s2 = 0;
      for (int64_t i = 0; i < n; ++i) {
        const float* p = t.data<float>() + (i * c_out + c) * hw;
        for (int64_t j = 0; j < hw; ++j) {
          s += p[j];
          s2 += static_cast<double>(p[j]) * p[j];
        }
      }
      double m = s / static_cast<double>(n * hw);
      mean.data<float>()[c] = static_cast<float>(m);
      var.data<float>()[c] = static_cast<float>(std::max(s2 / static_cast<double>(n * hw) - m * m, 1e-6));
    }
    Value* gamma = b_.constant(name + ".bn.weight", b_.uniform({c_out}, kGammaLo, kGammaHi));
    Value* beta = b_.constant(name + ".bn.bias", b_.normal({c_out}, kBetaStd));
    Value* rm = b_.constant(name + ".bn.running_mean", mean);
    Value* rv = b_.constant(name + ".bn.running_var", var);
    INR_ASSIGN_OR_RETURN(Value * z, b_.node("BatchNormalization", name + ".bn", {y, gamma, beta, rm, rv},
                                            {{"epsilon", Attr::of_float(kBnEpsilon)}}));
    if (!relu) return z;
    return b_.node("Relu", name + ".relu", {z});
  }

  Result<Value*> basic_block(Value* x, int64_t c_in, int64_t width, int64_t stride, const std::string& name) {
    INR_ASSIGN_OR_RETURN(Value * a, conv_bn(x, c_in, width, 3, stride, name + ".conv1", true));
    INR_ASSIGN_OR_RETURN(Value * b, conv_bn(a, width, width, 3, 1, name + ".conv2", false));
    Value* identity = x;
    if (stride != 1 || c_in != width) {
      INR_ASSIGN_OR_RETURN(identity, conv_bn(x, c_in, width, 1, stride, name + ".downsample", false));
    }
    INR_ASSIGN_OR_RETURN(Value * s, b_.node("Add", name + ".add", {b, identity}));
    return b_.node("Relu", name + ".relu", {s});
  }

  Result<Value*> bottleneck(Value* x, int64_t c_in, int64_t width, int64_t stride, const std::string& name) {
    constexpr int64_t kExpansion = 4;
    INR_ASSIGN_OR_RETURN(Value * a, conv_bn(x, c_in, width, 1, 1, name + ".conv1", true));
    INR_ASSIGN_OR_RETURN(Value * b, conv_bn(a, width, width, 3, stride, name + ".conv2", true));
    INR_ASSIGN_OR_RETURN(Value * c, conv_bn(b, width, width * kExpansion, 1, 1, name + ".conv3", false));
    Value* identity = x;
    if (stride != 1 || c_in != width * kExpansion) {
      INR_ASSIGN_OR_RETURN(identity, conv_bn(x, c_in, width * kExpansion, 1, stride, name + ".downsample", false));
    }
    INR_ASSIGN_OR_RETURN(Value * s, b_.node("Add", name + ".add", {c, identity}));
    return b_.node("Relu", name + ".relu", {s});
  }

 private:
  EagerBuilder& b_;
};

}  // namespace

Result<std::unique_ptr<Graph>> synth_model(const SynthOptions& o) {
  std::vector<int64_t> blocks;
  bool bottleneck = true;
  if (o.arch == "resnet18") {
    blocks = {2, 2, 2, 2};
    bottleneck = false;
  } else if (o.arch == "resnet34") {
    blocks = {3, 4, 6, 3};
    bottleneck = false;
  } else if (o.arch == "resnet50") {
    blocks = {3, 4, 6, 3};
  } else if (o.arch == "resnet101") {
    blocks = {3, 4, 23, 3};
  } else {
    return error("unknown architecture '{}' (expected resnet18, resnet34, resnet50 or resnet101)", o.arch);
  }
  if (o.image_size < 32 || o.calib_size < 32) return error("image size must be at least 32");
  auto g = std::make_unique<Graph>();
  g->opset = 13;
  g->ir_version = 8;
  g->name = o.arch;
  EagerBuilder b(*g, o.seed);
  ResNetBuilder r(b);
  Value* x = b.input("input", b.normal({1, 3, o.calib_size, o.calib_size}, 1.f));
  INR_ASSIGN_OR_RETURN(Value * y, r.conv_bn(x, 3, 64, 7, 2, "conv1", true));
  INR_ASSIGN_OR_RETURN(y, b.node("MaxPool", "maxpool", {y},
                                  {{"kernel_shape", Attr::of_ints({3, 3})},
                                   {"strides", Attr::of_ints({2, 2})},
                                   {"pads", Attr::of_ints({1, 1, 1, 1})}}));
  int64_t c_in = 64;
  const int64_t widths[] = {64, 128, 256, 512};
  for (size_t stage = 0; stage < 4; ++stage) {
    for (int64_t i = 0; i < blocks[stage]; ++i) {
      int64_t stride = (stage > 0 && i == 0) ? 2 : 1;
      std::string name = fmt::format("layer{}.{}", stage + 1, i);
      if (bottleneck) {
        INR_ASSIGN_OR_RETURN(y, r.bottleneck(y, c_in, widths[stage], stride, name));
        c_in = widths[stage] * 4;
      } else {
        INR_ASSIGN_OR_RETURN(y, r.basic_block(y, c_in, widths[stage], stride, name));
        c_in = widths[stage];
      }
    }
  }
  INR_ASSIGN_OR_RETURN(y, b.node("GlobalAveragePool", "avgpool", {y}));
  INR_ASSIGN_OR_RETURN(y, b.node("Flatten", "flatten", {y}, {{"axis", Attr::of_int(1)}}));
  // nn.Linear default init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias.
  float bound = 1.f / std::sqrt(static_cast<float>(c_in));
  Value* fw = b.constant("fc.weight", b.uniform({o.classes, c_in}, -bound, bound));
  Value* fb = b.constant("fc.bias", b.uniform({o.classes}, -bound, bound));
  INR_ASSIGN_OR_RETURN(y, b.node("Gemm", "fc", {y, fw, fb}, {{"transB", Attr::of_int(1)}}));
  g->rename(y, "output");
  g->outputs.push_back(y);
  // Forget the calibration shapes: the model's input is [batch, 3, image_size, image_size].
  for (const auto& v : g->values())
    if (!v->is_constant()) {
      v->has_shape = false;
      v->shape.clear();
    }
  Value* in = g->inputs[0];
  in->shape = {o.batch > 0 ? o.batch : -1, 3, o.image_size, o.image_size};
  in->has_shape = true;
  y->shape = {o.batch > 0 ? o.batch : -1, o.classes};
  y->has_shape = true;
  g->rebuild_uses();
  return g;
}

}  // namespace inr
