// Synthetic torchvision-architecture classifiers with seeded weights (`inr synth`).
//
// No real ResNet weights can be had in this environment, so structure, numerics and speed are tested on
// generated graphs: torchvision's ResNet (v1.5: stride on the 3x3 conv of a bottleneck), Conv+BN+Relu,
// MaxPool, residual Adds, GlobalAveragePool, Flatten, Gemm. Weights are He-initialised (kaiming normal,
// fan_out, as torchvision does). BatchNorm running statistics are measured: while the graph is built,
// each node is evaluated eagerly on a seeded calibration input, and each BatchNorm's mean/var are set to
// the per-channel statistics of the activations it receives, so every BN output has a realistic unit
// scale (gamma drawn from U(0.5, 1.5), beta from N(0, 0.1)) instead of exploding or vanishing with depth.
#pragma once

#include <cstdint>
#include <string>

#include "ir/graph.h"

namespace inr {

struct SynthOptions {
  std::string arch = "resnet50";  // resnet18 | resnet34 | resnet50 | resnet101
  uint32_t seed = 1;
  int64_t batch = 0;          // <= 0 (the default): dynamic batch dim ("batch"); > 0: that fixed batch
  int64_t image_size = 224;   // input is [batch, 3, image_size, image_size]
  int64_t classes = 1000;
  int64_t calib_size = 64;    // spatial size of the eager calibration input used for BN statistics
};

Result<std::unique_ptr<Graph>> synth_model(const SynthOptions& options);

}  // namespace inr
