// The Gemmini cycle model (src/backends/systolic/cycle_model.h) against FireSim's ResNet50 per-layer
// cycles, WS vs OS on the same layers, and a scratchpad / array-size sweep for one layer type.
// Usage: gemmini_cycles [--config FILE.json] [--markdown] [--quick] [--verbose]
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "backends/systolic/firesim_reference.h"

using namespace inr::systolic;

int main(int argc, char** argv) {
  Config base = default_config();
  bool markdown = false, verbose = false, quick = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--config") && i + 1 < argc) {
      auto c = load_config(argv[++i]);
      if (!c) {
        std::fprintf(stderr, "gemmini_cycles: error: %s\n", c.status().message().c_str());
        return 1;
      }
      base = *c;
    } else if (!std::strcmp(argv[i], "--quick")) {  // the WS table and totals only
      quick = true;
    } else if (!std::strcmp(argv[i], "--verbose")) {
      verbose = true;
    } else if (!std::strcmp(argv[i], "--markdown")) {
      markdown = true;
    } else {
      std::fprintf(stderr, "usage: gemmini_cycles [--config FILE.json] [--markdown] [--quick] [--verbose]\n");
      return 1;
    }
  }
  Config ws = base, os = base;
  ws.dataflow = Dataflow::kWS;
  os.dataflow = Dataflow::kOS;
  const char* row_fmt = markdown ? "| %-22s | %2d | %9.0f | %9lld | %+6.1f%% | %3.0f%% | %3.0f%% |\n"
                                 : "%-22s %3d %10.0f %10lld %+7.1f%% %4.0f%% %4.0f%%\n";
  if (markdown) {
    std::printf("| layer | n | FireSim cycles (mid) | model cycles | error | FireSim util | model util |\n");
    std::printf("|---|---|---|---|---|---|---|\n");
  } else {
    std::printf("%-22s %3s %10s %10s %8s %5s %5s\n", "layer", "n", "firesim", "model", "error", "fs_u", "m_u");
  }
  double fs_total = 0, model_total = 0, os_total = 0, abs_err_w = 0, ideal_total = 0;
  int count = 0, within25 = 0;
  for (const FiresimLayer& l : firesim_resnet50_layers()) {
    const Cost m = firesim_layer_cost(l, ws);
    const Cost o = quick ? Cost{} : firesim_layer_cost(l, os);
    const double fs = l.cycles_mid(), err = (static_cast<double>(m.cycles) - fs) / fs;
    const double fs_util = static_cast<double>(m.macs) / (256.0 * fs);
    std::printf(row_fmt, l.name, l.count, fs, static_cast<long long>(m.cycles), 100 * err, 100 * fs_util,
                100 * m.utilization);
    if (verbose && l.k) {
      const ConvTiling t = tiled_conv_auto(l.conv(), ws);
      std::printf("    tile b%lld r%lld c%lld och%lld kr%lld kc%lld kch%lld tiles %lld; compute %lld in %lld out %lld B, %lld reqs\n",
                  (long long)t.batches, (long long)t.porows, (long long)t.pocols, (long long)t.pochs, (long long)t.krows,
                  (long long)t.kcols, (long long)t.kchs, (long long)t.tiles, (long long)m.compute_cycles,
                  (long long)m.dma_in_bytes, (long long)m.dma_out_bytes, (long long)m.dma_requests);
    }
    fs_total += l.count * fs;
    model_total += l.count * static_cast<double>(m.cycles);
    os_total += l.count * static_cast<double>(o.cycles);
    ideal_total += l.count * static_cast<double>(m.macs) / (ws.dim * ws.dim);
    abs_err_w += l.count * std::fabs(err);
    count += l.count;
    within25 += std::fabs(err) <= 0.25 ? 1 : 0;
  }
  std::printf("\ntotal (count-weighted): FireSim %.2f M, model %.2f M cycles (%+.1f%%); ideal %.2f M\n", fs_total / 1e6,
              model_total / 1e6, 100 * (model_total - fs_total) / fs_total, ideal_total / 1e6);
  std::printf("count-weighted mean |error| %.1f%%; rows within 25%%: %d of %zu\n", 100 * abs_err_w / count, within25,
              firesim_resnet50_layers().size());
  std::printf("utilization: FireSim %.0f%%, model %.0f%%\n", 100 * ideal_total / fs_total, 100 * ideal_total / model_total);
  // Out of sample: the dataset's other batch-1 layers (the constants were fitted to the rows above only).
  {
    double abs_err = 0, worst = 0;
    int within = 0;
    const char* worst_name = "";
    for (const FiresimLayer& l : firesim_other_layers()) {
      const Cost m = firesim_layer_cost(l, ws);
      const double fs = l.cycles_mid(), err = (static_cast<double>(m.cycles) - fs) / fs;
      if (verbose)
        std::printf("    %-22s %10.0f %10lld %+7.1f%%\n", l.name, fs, static_cast<long long>(m.cycles), 100 * err);
      abs_err += std::fabs(err);
      within += std::fabs(err) <= 0.25 ? 1 : 0;
      if (std::fabs(err) > std::fabs(worst)) worst = err, worst_name = l.name;
    }
    std::printf("out of sample (the dataset's %zu other batch-1 layers: RetinaNet, U-Net, BERT): mean |error| %.1f%%, "
                "within 25%%: %d; worst %s %+.0f%%\n",
                firesim_other_layers().size(), 100 * abs_err / static_cast<double>(firesim_other_layers().size()), within,
                worst_name, 100 * worst);
  }
  if (quick) return 0;
  std::printf("OS (host im2col + OS matmul) total %.2f M cycles = %.2fx WS\n", os_total / 1e6, os_total / model_total);

  // The whole network at batch 4 as imagenet/resnet50.c runs it (firesim_reference.h). Published: 38.4 M
  // cycles/image with the pool on the host (PR #69), "51% utilization" (about 31 M) with it on Gemmini (PR #90).
  {
    const NetworkCost n = resnet50_network_cost(4, ws);
    std::printf("whole network, batch 4 (resnet50.c): model %.2f M cycles/image, %.0f%% utilization "
                "(3x3/7x7 convs %.2f M, 1x1 convs and FC as matmuls %.2f M, residual adds %.2f M, global average "
                "%.3f M); published about 31 M (51%%) with the global average on Gemmini, 38.4 M with it on the host\n",
                n.total.cycles / 4e6, 100 * n.total.utilization, n.convs.cycles / 4e6, n.matmuls.cycles / 4e6,
                n.resadds.cycles / 4e6, n.global_average.cycles / 4e6);
  }

  // Sweep: two layer types over the array size and the scratchpad (accumulator = scratchpad / 4), with
  // Gemmini's own tiler and with the tile search (Config::search_tiles).
  const FiresimLayer& l3 = firesim_resnet50_layers()[7];   // 3x3 28^2 128->128
  const FiresimLayer& l1 = firesim_resnet50_layers()[10];  // 1x1 28^2 512->128
  std::printf("\nsweep (WS; cycles and utilization per layer; auto = Gemmini's tiler, search = Config::search_tiles)\n");
  if (markdown)
    std::printf("| DIM | spad KiB | acc KiB | %s auto | search | %s auto | search |\n|---|---|---|---|---|---|---|\n",
                l3.name, l1.name);
  else
    std::printf("%4s %8s %7s | %-30s | %-30s\n", "DIM", "spadKiB", "accKiB", l3.name, l1.name);
  for (int dim : {8, 16, 32}) {
    for (int64_t spad_kib : {64, 128, 256, 512}) {
      Config s = ws;
      s.dim = dim;
      s.sp_bytes = spad_kib * 1024;
      s.acc_bytes = spad_kib * 1024 / 4;
      s.dma_max_bytes = std::max(64, 4 * dim);
      if (!validate(s).is_ok()) continue;
      Config t = s;
      t.search_tiles = true;
      const Cost a = conv_cost(l3.conv(), s), as = conv_cost(l3.conv(), t);
      const Cost b = conv_cost(l1.conv(), s), bs = conv_cost(l1.conv(), t);
      auto cell = [](const Cost& x) {
        char buf[48];
        std::snprintf(buf, sizeof buf, "%lld (%.0f%%)", static_cast<long long>(x.cycles), 100 * x.utilization);
        return std::string(buf);
      };
      if (markdown)
        std::printf("| %d | %lld | %lld | %s | %s | %s | %s |\n", dim, static_cast<long long>(spad_kib),
                    static_cast<long long>(spad_kib / 4), cell(a).c_str(), cell(as).c_str(), cell(b).c_str(),
                    cell(bs).c_str());
      else
        std::printf("%4d %8lld %7lld | %14s %15s | %14s %15s\n", dim, static_cast<long long>(spad_kib),
                    static_cast<long long>(spad_kib / 4), cell(a).c_str(), cell(as).c_str(), cell(b).c_str(),
                    cell(bs).c_str());
    }
  }
  return 0;
}
