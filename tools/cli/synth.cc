// `inr synth resnet50 --seed 1 -o resnet50.onnx [--batch N|dynamic]`: the batch dim is dynamic unless a
// number is given, so one file serves every batch size (bench --batch 1,16, eval).
#include "cli_errors.h"
#include "command.h"
#include "models/synth.h"
#include "onnx/onnx_io.h"

namespace inr::cli {

Command make_synth_command(CLI::App& parent) {
  struct Flags {
    SynthOptions o;
    std::string out, batch = "dynamic";
  };
  auto f = std::make_shared<Flags>();
  Command c;
  c.app = parent.add_subcommand("synth", "Write a torchvision-architecture ResNet with seeded weights as ONNX");
  c.app->add_option("arch", f->o.arch, "resnet18 | resnet34 | resnet50 | resnet101")->required();
  c.app->add_option("--seed", f->o.seed, "Random seed for weights and BatchNorm statistics");
  c.app->add_option("-o,--output", f->out, "Output ONNX file")->required();
  c.app->add_option("--batch", f->batch, "Batch size, or 'dynamic' (a symbolic batch dim)");
  c.app->add_option("--image-size", f->o.image_size, "Input height and width")->check(in_range(1, 8192));
  c.app->add_option("--classes", f->o.classes, "Number of classes")->check(in_range(1, 1000000));
  c.run = [f] {
    if (f->batch == "dynamic") {
      f->o.batch = -1;
    } else {
      try {
        f->o.batch = std::stoll(f->batch);
      } catch (...) {
        return fail(error("--batch must be a positive number or 'dynamic', got '{}'", f->batch));
      }
      if (f->o.batch <= 0) return fail(error("--batch must be positive"));
    }
    auto g = synth_model(f->o);
    if (!g) return fail(g.status());
    Status s = export_onnx_file(**g, f->out);
    if (!s) return fail(s);
    std::printf("wrote %s (%s, seed %u)\n", f->out.c_str(), f->o.arch.c_str(), f->o.seed);
    return 0;
  };
  return c;
}

}  // namespace inr::cli
