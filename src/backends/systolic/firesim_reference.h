// Published measurements of Gemmini's default configuration that the cycle model is checked against:
// ResNet50's conv and FC layers on FireSim (ucb-bar/dosa data/firesim_test_data/dataset.csv, column
// target.gemmini_auto_cycle, 3 runs per layer; layer counts from dataset/workloads/resnet50/layer_count.yaml).
// Conditions: batch 1, tiled_conv_auto / tiled_matmul_auto with the default software tiling, WS, no bias,
// no activation, no pooling or residual adds, and the `dosa` branch of gemmini-rocc-tests, which has the
// 1x1 stride-2 `downsample` path switched off. See ../shared/research/gemmini.md section 1.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "backends/systolic/cycle_model.h"

namespace inr::systolic {

struct FiresimLayer {
  const char* name;       // "3x3 56^2 64->64"
  int64_t k, out_hw, in_c, out_c, stride;  // k == 0: a matmul of out_hw x in_c x out_c (the FC: out_hw 1)
  int count;              // occurrences in ResNet50
  int64_t cycles_min, cycles_max;  // FireSim cycles over the 3 runs
  double cycles_mid() const { return 0.5 * static_cast<double>(cycles_min + cycles_max); }
  ConvDims conv() const;  // the layer as the dosa branch ran it (no bias, no pooling, no downsample)
};

std::span<const FiresimLayer> firesim_resnet50_layers();
// The other batch-1 layers of the same dataset (DOSA's RetinaNet, U-Net and BERT workloads, measured the same
// way), an out-of-sample check: the memory constants were fitted to the ResNet50 rows only.
std::span<const FiresimLayer> firesim_other_layers();

// The model's cost of one layer under the FireSim conditions (FC: WS matmul; convs: conv_cost).
Cost firesim_layer_cost(const FiresimLayer& layer, const Config& c);

// The whole ResNet50 as gemmini-rocc-tests' imagenet/resnet50.c runs it on Gemmini: 1x1 convs as
// tiled_matmul_nn_auto matmuls (the stride-2 ones on every other pixel), 3x3 convs and conv1 (with its
// 3x3/2 max pool fused) through the conv loop, bias and ReLU, the 16 residual adds and the global average
// (PR #90), FC as a matmul. Published for batch 4: "51% utilization" (about 31 M cycles per image).
struct NetworkCost {
  Cost convs, matmuls, resadds, global_average, total;
};
NetworkCost resnet50_network_cost(int64_t batch, const Config& c);

}  // namespace inr::systolic
