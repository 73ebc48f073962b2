// `inr list ops|presets|backends`
#include "cli_errors.h"
#include "command.h"
#include "image/preprocess.h"
#include "ir/graph.h"
#include "ops/op_schema.h"
#include "quant/calibrator.h"

namespace inr::cli {

Command make_list_command(CLI::App& parent) {
  auto what = std::make_shared<std::string>();
  Command c;
  c.app = parent.add_subcommand("list", "List supported ops, preprocessing presets, calibrators or backends");
  c.app->add_option("what", *what, "ops | presets | calibrators | backends")->required()->check(one_of({"ops", "presets", "calibrators", "backends"}));
  c.run = [what] {
    if (*what == "ops") {
      for (int i = 0; i < static_cast<int>(Op::kUnknown); ++i) {
        Op op = static_cast<Op>(i);
        std::string_view d = op_domain(op);
        std::printf("%s%s%s\n", std::string(d).c_str(), d.empty() ? "" : ".", std::string(op_name(op)).c_str());
      }
    } else if (*what == "presets") {
      for (const auto& p : image::presets()) std::printf("%-16s %s\n", std::string(p.name).c_str(), std::string(p.description).c_str());
      std::printf("%-16s alias of caffe2-runner: ucb-bar's imagenet runner's -p caffe2\n", "runner-caffe2");
    } else if (*what == "calibrators") {
      for (const auto& c : quant::calibrators())
        std::printf("%-12s %s\n", std::string(c.name).c_str(), std::string(c.description).c_str());
    } else {
      std::printf("onednn     oneDNN primitives, fp32, blocked layouts, fused post-ops (default)\n");
      std::printf("reference  plain loops; the oracle for every other backend\n");
      std::printf("systolic-cpu  -x 0: the emulated Gemmini's arithmetic on the CPU (s8, zero points 0, per-tensor)\n");
      std::printf("systolic-os   -x 1: Gemmini's output-stationary dataflow (tile model + cycle model)\n");
      std::printf("systolic-ws   -x 2: Gemmini's weight-stationary dataflow (tile model + cycle model)\n");
    }
    return 0;
  };
  return c;
}

}  // namespace inr::cli
