#include "backends/systolic/firesim_reference.h"

#include <array>

namespace inr::systolic {
namespace {

constexpr std::array<FiresimLayer, 24> kLayers = {{
    {"7x7 112^2 3->64 s2", 7, 112, 3, 64, 2, 1, 2577642, 2577699},
    {"3x3 56^2 64->64", 3, 56, 64, 64, 1, 3, 537803, 538764},
    {"1x1 56^2 64->64", 1, 56, 64, 64, 1, 1, 186955, 226179},
    {"1x1 56^2 64->256", 1, 56, 64, 256, 1, 4, 510114, 653902},
    {"1x1 56^2 256->64", 1, 56, 256, 64, 1, 2, 833367, 909964},
    {"1x1 56^2 256->128", 1, 56, 256, 128, 1, 1, 1194556, 1379592},
    {"3x3 28^2 128->128 s2", 3, 28, 128, 128, 2, 1, 628118, 704030},
    {"3x3 28^2 128->128", 3, 28, 128, 128, 1, 3, 628884, 636613},
    {"1x1 28^2 128->512", 1, 28, 128, 512, 1, 4, 457001, 587119},
    {"1x1 28^2 256->512 s2", 1, 28, 256, 512, 2, 1, 2452866, 3198599},
    {"1x1 28^2 512->128", 1, 28, 512, 128, 1, 3, 614626, 695342},
    {"1x1 28^2 512->256", 1, 28, 512, 256, 1, 1, 987544, 1301980},
    {"3x3 14^2 256->256 s2", 3, 14, 256, 256, 2, 1, 596874, 657000},
    {"3x3 14^2 256->256", 3, 14, 256, 256, 1, 5, 683380, 756452},
    {"1x1 14^2 256->1024", 1, 14, 256, 1024, 1, 6, 343736, 412036},
    {"1x1 14^2 512->1024 s2", 1, 14, 512, 1024, 2, 1, 1272647, 1910279},
    {"1x1 14^2 1024->256", 1, 14, 1024, 256, 1, 5, 511783, 573768},
    {"1x1 14^2 1024->512", 1, 14, 1024, 512, 1, 1, 739350, 835523},
    {"3x3 7^2 512->512 s2", 3, 7, 512, 512, 2, 1, 950713, 1104389},
    {"3x3 7^2 512->512", 3, 7, 512, 512, 1, 2, 777089, 805890},
    {"1x1 7^2 512->2048", 1, 7, 512, 2048, 1, 3, 526394, 586484},
    {"1x1 7^2 1024->2048 s2", 1, 7, 1024, 2048, 2, 1, 864214, 1056582},
    {"1x1 7^2 2048->512", 1, 7, 2048, 512, 1, 2, 604086, 652535},
    {"FC 2048->1000", 0, 1, 2048, 1000, 1, 1, 510617, 511246},
}};

}  // namespace

ConvDims FiresimLayer::conv() const {
  ConvDims d;
  d.in_c = in_c;
  d.out_c = out_c;
  d.k_h = d.k_w = k;
  d.stride = stride;
  d.pad = k / 2;
  d.in_h = d.in_w = out_hw * stride;  // ResNet50: every strided layer halves an even input
  d.out_h = d.out_w = out_hw;
  d.allow_downsample = false;
  return d;
}

std::span<const FiresimLayer> firesim_resnet50_layers() { return kLayers; }

Cost firesim_layer_cost(const FiresimLayer& layer, const Config& c) {
  if (layer.k == 0) {
    Config ws = c;
    return matmul_cost(1, layer.out_c, layer.in_c, ws);
  }
  return conv_cost(layer.conv(), c);
}

NetworkCost resnet50_network_cost(int64_t batch, const Config& c) {
  NetworkCost n;
  for (const FiresimLayer& l : kLayers) {
    if (l.k <= 1) {
      const Cost one = matmul_cost(batch * l.out_hw * l.out_hw, l.out_c, l.in_c, c, /*has_bias=*/true);
      for (int i = 0; i < l.count; ++i) n.matmuls.add(one, c);
    } else {
      ConvDims d = l.conv();
      d.batch = batch;
      d.has_bias = true;
      d.relu = true;
      if (l.k == 7) {
        d.pool_size = 3;
        d.pool_stride = 2;
        d.pool_pad = 1;
      }
      const Cost one = conv_cost(d, c);
      for (int i = 0; i < l.count; ++i) n.convs.add(one, c);
    }
  }
  const struct {
    int64_t hw, channels;
    int count;
  } adds[] = {{56, 256, 3}, {28, 512, 4}, {14, 1024, 6}, {7, 2048, 3}};
  for (const auto& a : adds) {
    const Cost one = resadd_cost(batch * a.hw * a.hw, a.channels, c);
    for (int i = 0; i < a.count; ++i) n.resadds.add(one, c);
  }
  n.global_average = global_average_cost(batch, 7, 7, 2048, c);
  for (const Cost* part : {&n.convs, &n.matmuls, &n.resadds, &n.global_average}) n.total.add(*part, c);
  return n;
}

}  // namespace inr::systolic
