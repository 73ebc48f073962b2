// The emulated Gemmini backend (`-x 0|1|2`, issue #11): the quantized nodes the onnxruntime-riscv Systolic
// execution provider accepted, computed in Gemmini's arithmetic (arith.h), on the CPU (`-x 0`) or through the
// functional tile models of the output-stationary (`-x 1`) or weight-stationary (`-x 2`) dataflow
// (dataflow.h). All three give the same bits.
//
// Nodes taken (everything else falls back to onednn / reference, and the placement log says why):
//  - QLinearConv (2-D, any group: a matmul per group), QLinearMatMul (2-D A, constant B): s8 x s8 -> s8,
//    every zero point 0, per-tensor scales, optional int32 bias; acc scale x_scale * w_scale / y_scale.
//  - QLinearAdd (same shapes): Gemmini's resadd (arith.h).
//  - MaxPool on s8 (2-D, no indices): the window max, where window positions in the padding count as 0
//    (Gemmini's pooled mvout; research note 5.2), not as -inf as in ONNX.
//  - QLinearGlobalAveragePool (NCHW, zero points 0): Gemmini's global average (RNE of sum * scale).
//  - DequantizeLinear -> Relu | Clip -> QuantizeLinear after one of the above, when the three together map
//    every int8 value v to clamp(v, 0, hi): folded into the producer as ReLU (hi = 127) or ReLU6 (hi < 127),
//    which is what the Systolic EP's fused QLinearConv+Relu did. The map is computed with the nodes' own
//    reference kernels, so the fold is exact by construction.
// Convolutions: at -x 2 with -O 99 (nhwc_fusion) a conv of one group (square stride and dilation, equal pads)
// runs through the functional model of Gemmini's own conv loop (LOOP_CONV_WS, dataflow.h tiled_conv_model),
// reading the NCHW input directly, with a fused MaxPool done by its pooled mvout; every other conv (-x 1, -O 1/2,
// grouped and depthwise convs) is lowered as the EP did for the OS dataflow: CPU im2col, then the tiled matmul.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backends/backend.h"
#include "backends/systolic/config.h"
#include "backends/systolic/cycle_model.h"
#include "backends/systolic/dataflow.h"

namespace inr::systolic {

enum class Mode { kCpu, kOs, kWs };  // -x 0, -x 1, -x 2
std::string_view mode_name(Mode m);   // "cpu" | "os" | "ws"
// The inr backend name of each mode: "systolic-cpu" | "systolic-os" | "systolic-ws".
std::string backend_name(Mode m);
// "systolic-cpu" ... -> the mode; error for any other name.
Result<Mode> parse_backend_name(std::string_view name);

struct BackendOptions {
  Mode mode = Mode::kCpu;
  Config config = default_config();  // its dataflow is set from the mode (OS for kOs, WS otherwise)
  // The runner's -O 99 (the Systolic EP's NHWC transform and conv + MaxPool fusion), for the cycle model:
  //  - on: a WS convolution of one group is Gemmini's conv loop (tiled_conv_auto; computed by the conv loop
  //    model, costed as on NHWC tensors), and a
  //    MaxPool that alone reads a conv's output in this partition is fused into it (the pooled mvout: the
  //    un-pooled conv output never goes to DRAM and is not loaded again); the MaxPool node costs nothing;
  //  - off (-O 1/2): every convolution is the EP's NCHW path, host im2col + tiled matmul, and a MaxPool is
  //    its own pass over the conv output.
  // The computed bits are the same either way (the same integer sums; Gemmini's pooling counts padding as 0
  // in both).
  bool nhwc_fusion = true;
};

std::unique_ptr<Backend> make_systolic_backend(const BackendOptions& options);

// Why the backend does or does not take a node (Ok, or one line a user can act on).
Status systolic_supports(const Node& node);

// What one node of a compiled systolic partition did in its last run: the matmul problem(s) it ran and the
// tile-model counters (zero in CPU mode, which has no tiles).
struct NodeRunStats {
  std::string node, op_type, kind;  // kind: "matmul" | "conv" | "resadd" | "maxpool" | "global_average" | "reference"
  int64_t macs = 0;                 // useful multiply-accumulates
  int64_t matmul_I = 0, matmul_J = 0, matmul_K = 0;  // per group (conv: I = output pixels, K = window)
  int64_t groups = 1, images = 1;
  DataflowCounters counters;
  Cost cost;  // the cycle model's cost (cycle_model.h) in the OS / WS modes; zero in CPU mode
  std::string fused_pool;  // a conv: the MaxPool node fused into it (-O 99); a MaxPool: the conv it is fused into
  // A conv run through the functional model of Gemmini's conv loop (-x 2 -O 99, one group: dataflow.h's
  // tiled_conv_model, no host im2col); its counters then match the cycle model's conv_cost.
  bool conv_loop = false;
};
std::vector<NodeRunStats> systolic_executable_stats(const Executable& exe);
// The summed cost of an executable's nodes (OS / WS modes) and the config it was costed for; `nodes` is 0 for
// an executable of another backend or of the CPU mode.
struct ExecutableCost {
  Cost cost;
  Config config;
  int nodes = 0;
};
ExecutableCost systolic_executable_cost(const Executable& exe);

}  // namespace inr::systolic
