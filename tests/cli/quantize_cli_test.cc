// `inr quantize` end to end: bad inputs give one `inr: error:` line, exit 1, and no output file; models
// written by fp16 / dynamic modes load and run in ONNX Runtime (static is covered by bench/quant_matrix.sh
// and tests/quant, which calibrate). --target (issue #9): contradicting flags are one-line errors, the
// summary's full-range u8 x s8 note appears exactly when such weights were written, and the avx2 / portable
// models have the promised weights and run in ONNX Runtime with inr's top-1.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "core/npy.h"
#include "data/labels.h"
#include "inr/session.h"
#include "onnx/onnx_io.h"
#include "test_util.h"

namespace inr {
namespace {

namespace fs = std::filesystem;

std::string fp32_model() { return test::data_dir() + "/models/mobilenetv2-12-int8-dequant-fp32.onnx"; }

// The shared check, and exit code 1 exactly.
void expect_error_exit_1(const test::CliResult& r, const std::string& needle) {
  test::expect_one_line_error(r, needle);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err.rfind("inr: error: ", 0), 0u) << r.err;
}

class QuantizeCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::has_data()) GTEST_SKIP() << "shared data not found (set INR_DATA_DIR)";
    // One folder per test: a test that writes o.onnx must not make a later one's "no output" check fail.
    dir_ = test::temp_dir(std::string("quantize_cli_") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  std::string dir_;
};

// --calib-sample N --seed S: the same images for the same seed (byte-identical models), one per folder first.
TEST_F(QuantizeCli, CalibrationSampleIsSeeded) {
  // Three "classes" of 3, 1 and 2 images.
  const std::string img = test::data_dir() + "/imagenet/samples/";
  const std::vector<std::pair<std::string, std::string>> files = {
      {"a", "n01440764_tench.JPEG"}, {"a", "n01530575_brambling.JPEG"}, {"a", "n01601694_water_ouzel.JPEG"},
      {"b", "n01641577_bullfrog.JPEG"}, {"c", "n01667114_mud_turtle.JPEG"}, {"c", "n01682714_American_chameleon.JPEG"}};
  for (const auto& [folder, name] : files) {
    fs::create_directories(dir_ + "/calib/" + folder);
    ASSERT_TRUE(fs::exists(img + name)) << name;
    fs::create_symlink(img + name, dir_ + "/calib/" + folder + "/" + name);
  }
  const std::string base = "quantize -m " + fp32_model() + " --mode static --calib-data " + dir_ + "/calib --calib-sample 3 ";
  auto a = test::run_cli(base + "--seed 9 -o " + dir_ + "/a.onnx");
  auto b = test::run_cli(base + "--seed 9 -o " + dir_ + "/b.onnx");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  std::ifstream fa(dir_ + "/a.onnx", std::ios::binary), fb(dir_ + "/b.onnx", std::ios::binary);
  std::string sa((std::istreambuf_iterator<char>(fa)), {}), sb((std::istreambuf_iterator<char>(fb)), {});
  EXPECT_FALSE(sa.empty());
  EXPECT_EQ(sa, sb);
  EXPECT_NE(a.out.find("3"), std::string::npos) << a.out;
  expect_error_exit_1(test::run_cli(base + "--calib-count 2 -o " + dir_ + "/c.onnx"), "are alternatives");
  // --json: the summary with what made it (schema inr.quantize.summary).
  auto js = test::run_cli(base + "--seed 9 --json -o " + dir_ + "/d.onnx");
  ASSERT_EQ(js.exit_code, 0) << js.err;
  auto j = nlohmann::json::parse(js.out);
  EXPECT_EQ(j["schema"]["name"], "inr.quantize.summary");
  EXPECT_EQ(j["model"]["sha256"], "7c5d4aca72978a5a05ea29c36b30c6bba4bf3837bdf24d0913faa1c6ea68f144");
  EXPECT_EQ(j["images_used"], 3);
  EXPECT_EQ(j["weights"]["granularity"], "per-channel");
  EXPECT_EQ(j["bytes_after"].get<uintmax_t>(), fs::file_size(dir_ + "/d.onnx"));
}

// An output that is the input (or a link to it) would overwrite the float model: refused, input untouched.
TEST_F(QuantizeCli, OutputEqualToInputIsRefused) {
  fs::copy_file(fp32_model(), dir_ + "/m.onnx");
  fs::create_symlink(dir_ + "/m.onnx", dir_ + "/link.onnx");
  const auto before = fs::file_size(dir_ + "/m.onnx");
  for (const char* out : {"/m.onnx", "/link.onnx", "/./m.onnx"}) {
    SCOPED_TRACE(out);
    expect_error_exit_1(test::run_cli("quantize -m " + dir_ + "/m.onnx -o " + dir_ + out + " --mode fp16"),
                        "the output is the input model");
  }
  EXPECT_EQ(fs::file_size(dir_ + "/m.onnx"), before);
}

// A typo in --exclude or --op-types would quantize what the user meant to leave float: every miss is named.
TEST_F(QuantizeCli, UnknownExcludeAndOpTypesAreErrors) {
  const std::string base = "quantize -m " + fp32_model() + " -o " + dir_ + "/o.onnx --mode dynamic ";
  expect_error_exit_1(test::run_cli(base + "--exclude NoSuchNode,AlsoMissing"),
                      "--exclude: no node or output named NoSuchNode, AlsoMissing");
  expect_error_exit_1(test::run_cli(base + "--op-types Conv,Frobnicate"), "--op-types: unknown op Frobnicate");
  expect_error_exit_1(test::run_cli(base + "--op-types Gemm"), "--op-types: the model has no Gemm node");
  EXPECT_FALSE(fs::exists(dir_ + "/o.onnx"));
  // Names that exist still work.
  auto ok = test::run_cli(base + "--exclude Conv_0_quant --op-types Conv,MatMul");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

TEST_F(QuantizeCli, EmptyCalibrationFolder) {
  fs::create_directories(dir_ + "/empty");
  auto r = test::run_cli("quantize --mode static -m " + fp32_model() + " -o " + dir_ + "/o.onnx --calib-data " + dir_ + "/empty");
  expect_error_exit_1(r, "no .jpg/.jpeg/.png images");
  EXPECT_FALSE(fs::exists(dir_ + "/o.onnx"));
}

TEST_F(QuantizeCli, MissingCalibrationFolder) {
  auto r = test::run_cli("quantize --mode static -m " + fp32_model() + " -o " + dir_ + "/o.onnx --calib-data " + dir_ + "/nope");
  expect_error_exit_1(r, "calibration data not found");
  EXPECT_FALSE(fs::exists(dir_ + "/o.onnx"));
}

TEST_F(QuantizeCli, UnreadableCalibrationImages) {
  fs::create_directories(dir_ + "/bad");
  std::ofstream(dir_ + "/bad/a.jpg") << "not a jpeg";
  auto r = test::run_cli("quantize --mode static -m " + fp32_model() + " -o " + dir_ + "/o.onnx --calib-data " + dir_ + "/bad");
  expect_error_exit_1(r, "none of the 1 calibration images could be used");
  EXPECT_FALSE(fs::exists(dir_ + "/o.onnx"));
}

TEST_F(QuantizeCli, AlreadyQuantizedModel) {
  auto r = test::run_cli("quantize --mode dynamic -m " + test::data_dir() + "/models/mobilenetv2-12-int8.onnx -o " + dir_ +
                         "/o.onnx");
  expect_error_exit_1(r, "already quantized");
  EXPECT_FALSE(fs::exists(dir_ + "/o.onnx"));
}

TEST_F(QuantizeCli, UnwritableOutput) {
  auto r = test::run_cli("quantize --mode fp16 -m " + fp32_model() + " -o /nonexistent_dir_inr/o.onnx");
  expect_error_exit_1(r, "does not exist");
}

TEST_F(QuantizeCli, StaticWithoutCalibrationData) {
  auto r = test::run_cli("quantize --mode static -m " + fp32_model() + " -o " + dir_ + "/o.onnx");
  expect_error_exit_1(r, "--calib-data");
}

// There is no default mode (it was static, which then failed for want of --calib-data): without --mode the
// command is one line naming the modes, a command-line error (exit code 2), and writes nothing.
TEST_F(QuantizeCli, ModeIsRequired) {
  auto r = test::run_cli("quantize -m " + fp32_model() + " -o " + dir_ + "/o.onnx --calib-data " + test::data_dir() +
                         "/imagenet/samples");
  EXPECT_EQ(r.err, "inr: error: --mode is required (fp16 | dynamic | static)\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(fs::exists(dir_ + "/o.onnx"));
}

TEST_F(QuantizeCli, OpWithoutIntegerFormIsLeftFloatWithAWarning) {
  auto r = test::run_cli("quantize --mode dynamic --op-types Conv,MatMul,Clip -m " + fp32_model() + " -o " + dir_ + "/d.onnx");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("left float"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("left float"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(dir_ + "/d.onnx"));
}

TEST_F(QuantizeCli, Fp16AndDynamicModelsRunInOrt) {
  if (!fs::exists(test::source_dir() + "/tools/ort/node_modules/onnxruntime-node/package.json"))
    GTEST_SKIP() << "onnxruntime-node not installed";
  for (const char* mode : {"fp16", "dynamic"}) {
    std::string out = dir_ + "/" + mode + ".onnx";
    auto r = test::run_cli(std::string("quantize --per-channel --mode ") + mode + " -m " + fp32_model() + " -o " + out);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("size:"), std::string::npos);
    // Five photos, preprocessed by the staging pipeline; ORT must load and run the model.
    auto o = test::run_shell("node " + test::source_dir() + "/tools/ort/ort_run.js bench " + out + " --batch 2 --runs 1 --warmup 0");
    EXPECT_EQ(o.exit_code, 0) << mode << ": " << o.err;
  }
}

// Per-channel weight scales are the default for static and dynamic int8 (ORT's recommendation for CNNs);
// --per-tensor asks for one scale per weight tensor. Read back from the written model: the weight scales
// are the only scale initializers with more than one element.
int multi_element_scales(const std::string& path) {
  auto g = import_onnx_file(path);
  EXPECT_TRUE(g.is_ok()) << g.status().message();
  if (!g.is_ok()) return -1;
  std::set<std::string> names;
  for (const auto& n : (*g)->nodes())
    for (const Value* v : n->inputs)
      if (v && v->is_constant() && v->name.ends_with("_scale") && v->constant.numel() > 1) names.insert(v->name);
  return static_cast<int>(names.size());
}

TEST_F(QuantizeCli, PerChannelWeightsByDefault) {
  const std::string calib = " --calib-count 2 --calib-data " + test::data_dir() + "/imagenet/samples";
  for (std::string mode : {"static", "dynamic"}) {
    SCOPED_TRACE(mode);
    const std::string flags = " --mode " + mode + (mode == "static" ? calib : "");
    auto d = test::run_cli("quantize -m " + fp32_model() + " -o " + dir_ + "/default.onnx" + flags);
    ASSERT_EQ(d.exit_code, 0) << d.err;
    auto t = test::run_cli("quantize -m " + fp32_model() + " -o " + dir_ + "/tensor.onnx --per-tensor" + flags);
    ASSERT_EQ(t.exit_code, 0) << t.err;
    // MobileNetV2 has 52 convolutions and one Gemm: a per-channel weight scale each (static QDQ also writes
    // the per-channel bias scales).
    EXPECT_GE(multi_element_scales(dir_ + "/default.onnx"), 53);
    EXPECT_EQ(multi_element_scales(dir_ + "/tensor.onnx"), 0);
    if (mode == "static") {
      EXPECT_NE(d.out.find("weights:     s8 per-channel"), std::string::npos) << d.out;
      EXPECT_NE(t.out.find("weights:     s8 per-tensor"), std::string::npos) << t.out;
    }
  }
  auto both = test::run_cli("quantize --mode dynamic --per-channel --per-tensor -m " + fp32_model() + " -o " + dir_ +
                            "/both.onnx");
  test::expect_one_line_error(both, "--per-channel and --per-tensor cannot be used together");
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_FALSE(fs::exists(dir_ + "/both.onnx"));
}

// --- --target ---------------------------------------------------------------------------------------------

std::string calib_flags() {
  return " --mode static --per-channel --calib-count 4 --calib-data " + test::data_dir() + "/imagenet/samples";
}

TEST_F(QuantizeCli, TargetContradictingFlagsAreOneLineErrors) {
  const std::string base = "quantize -m " + fp32_model() + " -o " + dir_ + "/o.onnx";
  struct Bad {
    std::string flags, needle;
  };
  for (const Bad& b : std::vector<Bad>{
           {calib_flags() + " --target avx2 --weight u8", "--target avx2 implies --weight s8 --reduce-range; drop --weight u8"},
           {calib_flags() + " --target vnni --reduce-range", "--target vnni implies --weight s8 (full range); drop --reduce-range"},
           {calib_flags() + " --target vnni --weight u8", "drop --weight u8"},
           {calib_flags() + " --target portable --weight s8", "--target portable implies --weight u8 (zero point 128); drop --weight s8"},
           {calib_flags() + " --target portable --reduce-range", "drop --reduce-range"},
           {calib_flags() + " --target avx2 --act s8", "--target avx2 implies --act u8; drop --act s8"},
           {calib_flags() + " --target vnni --act s8 --symmetric-act", "drop --act s8"},
           {"--target avx2 --mode dynamic --weight u8", "drop --weight u8"},
           {"--target portable --mode fp16", "--target portable applies to int8 quantization"},
       }) {
    SCOPED_TRACE(b.flags);
    expect_error_exit_1(test::run_cli(base + " " + b.flags), b.needle);
    EXPECT_FALSE(fs::exists(dir_ + "/o.onnx"));
  }
}

// Quantized weight initializers of a written model (DequantizeLinear / QLinearConv / QLinearMatMul /
// ConvInteger / MatMulInteger weight inputs) with their zero points.
struct WrittenWeight {
  Tensor q;
  Tensor zp;
};
std::vector<WrittenWeight> written_weights(const std::string& path) {
  std::vector<WrittenWeight> out;
  auto g = import_onnx_file(path);
  EXPECT_TRUE(g.is_ok()) << g.status().message();
  if (!g.is_ok()) return out;
  for (const auto& n : (*g)->nodes()) {
    size_t wi, zi;
    if (n->op_type == "DequantizeLinear") wi = 0, zi = 2;
    else if (n->op_type == "QLinearConv" || n->op_type == "QLinearMatMul") wi = 3, zi = 5;
    else if (n->op_type == "ConvInteger" || n->op_type == "MatMulInteger") wi = 1, zi = 3;
    else continue;
    const Value* w = n->input(wi);
    const Value* z = n->input(zi);
    if (!w || !w->is_constant() || w->constant.rank() < 2 || !z || !z->is_constant()) continue;
    if (w->constant.dtype() != DType::kU8 && w->constant.dtype() != DType::kI8) continue;
    out.push_back({w->constant, z->constant});
  }
  return out;
}

struct NoteCase {
  std::string name, flags;
  bool note;
};

TEST_F(QuantizeCli, TargetNoteOnlyForFullRangeU8S8Weights) {
  const std::string note = "note:        full-range u8 x s8 weights: ONNX Runtime is exact only on VNNI/AMX CPUs";
  for (const NoteCase& c : std::vector<NoteCase>{
           {"default", calib_flags(), true},
           {"vnni", calib_flags() + " --target vnni", true},
           {"avx2", calib_flags() + " --target avx2", false},
           {"portable", calib_flags() + " --target portable", false},
           {"qop_avx2", calib_flags() + " --format qop --target avx2", false},
           {"reduce_range", calib_flags() + " --reduce-range", false},
           {"u8_weights", calib_flags() + " --weight u8", false},
           {"dynamic", " --mode dynamic --per-channel", true},  // MatMulInteger u8 x s8 (the classifier)
           {"dynamic_avx2", " --mode dynamic --per-channel --target avx2", false},
           {"dynamic_portable", " --mode dynamic --per-channel --target portable", false},
       }) {
    SCOPED_TRACE(c.name);
    std::string out = dir_ + "/" + c.name + ".onnx";
    auto r = test::run_cli("quantize -m " + fp32_model() + " -o " + out + c.flags);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.find(note) != std::string::npos, c.note) << r.out;
    EXPECT_EQ(r.out.find("use --target avx2 or portable") != std::string::npos, c.note) << r.out;
    bool targeted = c.flags.find("--target") != std::string::npos;
    EXPECT_EQ(r.out.find("target:") != std::string::npos, targeted) << r.out;
    auto ws = written_weights(out);
    ASSERT_FALSE(ws.empty());
    // What the note is about, read back from the file: s8 weights reaching beyond 7 bits.
    int s8_max = 0;
    for (const auto& w : ws)
      if (w.q.dtype() == DType::kI8)
        for (int8_t v : w.q.span<int8_t>()) s8_max = std::max(s8_max, std::abs(static_cast<int>(v)));
    EXPECT_EQ(s8_max > 64, c.note) << "max |s8 weight| " << s8_max;
  }
  // --target avx2: every weight is s8 with |w| <= 64.
  for (const char* name : {"avx2", "qop_avx2", "dynamic_avx2"})
    for (const auto& w : written_weights(dir_ + "/" + name + ".onnx")) {
      if (std::string(name) == "dynamic_avx2" && w.q.dtype() == DType::kU8) continue;  // ConvInteger: u8 x u8
      ASSERT_EQ(w.q.dtype(), DType::kI8) << name;
      for (int8_t v : w.q.span<int8_t>()) ASSERT_LE(std::abs(static_cast<int>(v)), 64) << name;
    }
  // --target portable: every weight is u8 with zero point 128 on every channel (values in [0, 255] by type).
  for (const char* name : {"portable", "dynamic_portable"})
    for (const auto& w : written_weights(dir_ + "/" + name + ".onnx")) {
      ASSERT_EQ(w.q.dtype(), DType::kU8) << name;
      ASSERT_EQ(w.zp.dtype(), DType::kU8) << name;
      for (uint8_t z : w.zp.span<uint8_t>()) ASSERT_EQ(z, 128) << name;
    }
  // --target vnni: s8 weights reaching the full range.
  int vmax = 0;
  for (const auto& w : written_weights(dir_ + "/vnni.onnx")) {
    ASSERT_EQ(w.q.dtype(), DType::kI8);
    for (int8_t v : w.q.span<int8_t>()) vmax = std::max(vmax, std::abs(static_cast<int>(v)));
  }
  EXPECT_EQ(vmax, 127);
}

// The avx2 and portable models (both formats, and dynamic) load in ONNX Runtime and give inr's top-1 on the
// five reference photos. These targets are exact in ORT on every x86 CPU, so this holds on any machine.
TEST_F(QuantizeCli, TargetModelsRunInOrtWithInrsTop1) {
  if (!fs::exists(test::source_dir() + "/tools/ort/node_modules/onnxruntime-node/package.json"))
    GTEST_SKIP() << "onnxruntime-node not installed";
  Tensor x = Tensor::empty(DType::kF32, {5, 3, 224, 224});
  {
    std::ifstream in(test::data_dir() + "/reference/photos_input_f32_nchw.bin", std::ios::binary);
    ASSERT_TRUE(in.read(static_cast<char*>(x.raw()), static_cast<std::streamsize>(x.bytes())));
  }
  ASSERT_TRUE(write_npy(dir_ + "/x.npy", x).is_ok());
  auto top1 = [](const Tensor& logits) {
    std::vector<int> out;
    int64_t k = logits.dim(-1);
    for (int64_t r = 0; r < logits.dim(0); ++r)
      out.push_back(data::top_k(std::span<const float>(logits.data<float>() + r * k, k), 1)[0]);
    return out;
  };
  for (const NoteCase& c : std::vector<NoteCase>{
           {"qdq_avx2", calib_flags() + " --target avx2", false},
           {"qdq_portable", calib_flags() + " --target portable", false},
           {"qop_avx2", calib_flags() + " --format qop --target avx2", false},
           {"qop_portable", calib_flags() + " --format qop --target portable", false},
           {"dyn_portable", " --mode dynamic --per-channel --target portable", false},
       }) {
    SCOPED_TRACE(c.name);
    std::string model = dir_ + "/" + c.name + ".onnx";
    auto q = test::run_cli("quantize -m " + fp32_model() + " -o " + model + c.flags);
    ASSERT_EQ(q.exit_code, 0) << q.err;
    auto s = Session::load(model);
    ASSERT_TRUE(s.is_ok()) << s.status().message();
    auto y = (*s)->run(std::span<const Tensor>(&x, 1));
    ASSERT_TRUE(y.is_ok()) << y.status().message();
    auto r = test::run_shell("node " + test::source_dir() + "/tools/ort/ort_run.js run " + model + " " + dir_ + "/ort_" +
                             c.name + " " + dir_ + "/x.npy");
    ASSERT_EQ(r.exit_code, 0) << "ORT could not run the model: " << r.err;
    auto ort = read_npy(dir_ + "/ort_" + c.name + "/output.npy");
    ASSERT_TRUE(ort.is_ok()) << ort.status().message();
    EXPECT_EQ(top1((*y)[0]), top1(*ort));
  }
}

}  // namespace
}  // namespace inr
