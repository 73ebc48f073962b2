// `inr preprocess -i IMAGE -p PRESET -o OUT`: runs the preprocessing pipeline on one image and writes
// OUT.png (the 8-bit crop before normalisation) or OUT.npy (the final tensor, [1,C,H,W] or [1,H,W,C]).
#include <memory>

#include "command.h"
#include "core/file.h"
#include "core/npy.h"
#include "image/png_write.h"
#include "preprocess_flags.h"

namespace inr::cli {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

struct Args {
  std::string input;
  std::string output;
  PreprocessFlags flags;
};

int run(const Args& a) {
  auto spec = resolve(a.flags);
  if (!spec) return fail(spec.status());
  const bool png = ends_with(a.output, ".png");
  if (!png && !ends_with(a.output, ".npy")) return fail(error("{}: output must end in .png or .npy", a.output));
  auto data = read_file(a.input);
  if (!data) return fail(data.status());
  image::Preprocessor pre(*spec, decode_options(a.flags));
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(data->data()), data->size());
  if (png) {
    Status s = pre.crop(bytes, a.input);
    if (!s) return fail(s);
    s = image::write_png(a.output, pre.last_crop());
    return s ? 0 : fail(s);
  }
  auto t = pre.run_tensor(bytes, a.input);
  if (!t) return fail(t.status());
  Shape batched = t->shape();
  batched.insert(batched.begin(), 1);
  Status s = write_npy(a.output, t->reshaped(batched));
  return s ? 0 : fail(s);
}

}  // namespace

Command make_preprocess_command(CLI::App& parent) {
  auto args = std::make_shared<Args>();
  Command c;
  c.app = parent.add_subcommand("preprocess", "Decode and preprocess one image; write the crop (.png) or tensor (.npy)");
  c.app->add_option("-i,--image", args->input, "Input image (JPEG or PNG)")->required();
  c.app->add_option("-o,--output", args->output, "Output: .png (8-bit crop before normalisation) or .npy (tensor)")
      ->required();
  add_preprocess_flags(c.app, args->flags);
  c.run = [args] { return run(*args); };
  return c;
}

}  // namespace inr::cli
