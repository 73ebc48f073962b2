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
  if (quick) return 0;
  std::printf("OS (host im2col + OS matmul) total %.2f M cycles = %.2fx WS\n", os_total / 1e6, os_total / model_total);

  // Sweep: one layer type (3x3 28^2 128->128 and 1x1 28^2 512->128) over scratchpad size and array size.
  std::printf("\nsweep (WS, cycles per layer; scratchpad / accumulator scaled together):\n");
  const FiresimLayer* sweep_layers[2] = {&firesim_resnet50_layers()[7], &firesim_resnet50_layers()[10]};
  std::printf(markdown ? "| DIM | spad KiB | acc KiB | %s | %s |\n|---|---|---|---|---|\n" : "%4s %9s %8s %24s %24s\n",
              markdown ? sweep_layers[0]->name : "DIM", markdown ? sweep_layers[1]->name : "spadKiB",
              "accKiB", sweep_layers[0]->name, sweep_layers[1]->name);
  for (int dim : {8, 16, 32}) {
    for (int64_t spad_kib : {64, 128, 256, 512}) {
      Config s = ws;
      s.dim = dim;
      s.sp_bytes = spad_kib * 1024;
      s.acc_bytes = spad_kib * 1024 / 4;
      s.dma_max_bytes = std::max(64, 4 * dim);
      if (!validate(s).is_ok()) continue;
      const Cost a = conv_cost(sweep_layers[0]->conv(), s), b = conv_cost(sweep_layers[1]->conv(), s);
      if (markdown)
        std::printf("| %d | %lld | %lld | %lld (%.0f%%) | %lld (%.0f%%) |\n", dim, static_cast<long long>(spad_kib),
                    static_cast<long long>(spad_kib / 4), static_cast<long long>(a.cycles), 100 * a.utilization,
                    static_cast<long long>(b.cycles), 100 * b.utilization);
      else
        std::printf("%4d %9lld %8lld %15lld (%3.0f%%) %15lld (%3.0f%%)\n", dim, static_cast<long long>(spad_kib),
                    static_cast<long long>(spad_kib / 4), static_cast<long long>(a.cycles), 100 * a.utilization,
                    static_cast<long long>(b.cycles), 100 * b.utilization);
    }
  }
  return 0;
}
