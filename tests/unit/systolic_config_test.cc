// The emulated Gemmini's configuration (src/backends/systolic/config.h): defaults, JSON loading and the
// one-line errors of a bad --systolic-config file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "backends/systolic/config.h"
#include "test_util.h"

namespace inr::systolic {
namespace {

TEST(SystolicConfig, DefaultsAreGemminisInt8Config) {
  Config c = default_config();
  EXPECT_EQ(c.dim, 16);
  EXPECT_EQ(c.sp_bytes, 256 * 1024);
  EXPECT_EQ(c.sp_banks, 4);
  EXPECT_EQ(c.sp_rows(), 16384);
  EXPECT_EQ(c.sp_bank_rows(), 4096);   // BANK_ROWS
  EXPECT_EQ(c.acc_bytes, 64 * 1024);
  EXPECT_EQ(c.acc_banks, 2);
  EXPECT_EQ(c.acc_rows(), 1024);       // ACC_ROWS
  EXPECT_EQ(c.dma_bytes_per_cycle, 16);
  EXPECT_EQ(c.dma_max_bytes, 64);
  EXPECT_EQ(c.max_block_len(), 4);     // MAX_BLOCK_LEN for int8
  EXPECT_EQ(c.max_in_flight_reqs, 16);
  EXPECT_EQ(c.dataflow, Dataflow::kWS);
  EXPECT_DOUBLE_EQ(c.clock_hz, 1e9);
  EXPECT_TRUE(validate(c).is_ok());
}

Result<Config> parse(const std::string& text) { return config_from_json(nlohmann::json::parse(text)); }

TEST(SystolicConfig, KeysOverrideDefaultsAndRoundTrip) {
  auto c = parse(R"({"dim": 32, "sp_bytes": 524288, "acc_bytes": 131072, "dataflow": "OS", "clock_hz": 5e8})");
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c->dim, 32);
  EXPECT_EQ(c->sp_bytes, 524288);
  EXPECT_EQ(c->sp_rows(), 16384);
  EXPECT_EQ(c->acc_rows(), 1024);
  EXPECT_EQ(c->dataflow, Dataflow::kOS);
  EXPECT_DOUBLE_EQ(c->clock_hz, 5e8);
  EXPECT_EQ(c->sp_banks, 4);  // untouched keys keep their defaults
  auto back = config_from_json(to_json(*c));
  ASSERT_TRUE(back.is_ok()) << back.status().message();
  EXPECT_EQ(to_json(*back), to_json(*c));
  EXPECT_EQ(to_json(default_config())["dataflow"], "ws");
  EXPECT_TRUE(parse("{}").is_ok());
}

void expect_error(const std::string& text, const std::string& part) {
  auto c = parse(text);
  ASSERT_FALSE(c.is_ok()) << text;
  EXPECT_NE(c.status().message().find(part), std::string::npos) << c.status().message();
  EXPECT_EQ(c.status().message().find('\n'), std::string::npos) << c.status().message();
}

TEST(SystolicConfig, BadFilesGiveOneLineErrors) {
  expect_error(R"([16])", "must be a JSON object");
  expect_error(R"({"dimm": 16})", "unknown key 'dimm' (known: dim, sp_bytes,");
  expect_error(R"({"dim": "16"})", "'dim' must be an integer, got string");
  expect_error(R"({"dim": 16.5})", "'dim' must be an integer, got a number");
  expect_error(R"({"dim": 12})", "'dim' must be a power of two, got 12");
  expect_error(R"({"dim": 0})", "'dim' must be positive, got 0");
  expect_error(R"({"dim": 4294967296})", "'dim' = 4294967296 is out of range");
  expect_error(R"({"sp_bytes": -1})", "'sp_bytes' must be positive, got -1");
  expect_error(R"({"sp_bytes": 1000})", "'sp_bytes' 1000 is not a whole number of 16-byte rows in 4 banks");
  expect_error(R"({"acc_bytes": 1000})", "'acc_bytes' 1000 is not a whole number of 64-byte rows");
  expect_error(R"({"acc_banks": 0})", "'acc_banks' must be positive, got 0");
  expect_error(R"({"clock_hz": 0})", "'clock_hz' must be a positive number, got 0");
  expect_error(R"({"clock_hz": "1GHz"})", "'clock_hz' must be a number, got string");
  expect_error(R"({"dataflow": "both"})", "dataflow 'both' is not \"os\" or \"ws\"");
  expect_error(R"({"dataflow": 1})", "'dataflow' must be \"os\" or \"ws\", got an integer");
  expect_error(R"({"dma_max_bytes": 72})", "'dma_max_bytes' 72 is not a multiple of 'dma_bytes_per_cycle' 16");
  expect_error(R"({"dma_bytes_per_cycle": 24})", "'dma_bytes_per_cycle' must be a power of two, got 24");
  expect_error(R"({"dram_bytes_per_cycle": 32})", "'dram_bytes_per_cycle' 32 exceeds the DMA bus");
  expect_error(R"({"l2_bytes_per_cycle": 17.5})", "'l2_bytes_per_cycle' 17.5 exceeds the DMA bus");
  expect_error(R"({"l2_bytes": -1})", "'l2_bytes' must be non-negative, got -1");
  EXPECT_TRUE(parse(R"({"l2_bytes": 0})").is_ok());
  expect_error(R"({"spad_read_delay": -1})", "'spad_read_delay' must be non-negative, got -1");
  EXPECT_TRUE(parse(R"({"spad_read_delay": 0})").is_ok());
}

TEST(SystolicConfig, LoadConfigPrefixesThePath) {
  const std::string dir = test::temp_dir("systolic_config");
  const std::string good = dir + "/good.json", bad = dir + "/bad.json", broken = dir + "/broken.json";
  std::ofstream(good) << R"({"dim": 8, "dataflow": "os"})";
  std::ofstream(bad) << R"({"dim": 3})";
  std::ofstream(broken) << R"({"dim": )";
  auto c = load_config(good);
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c->dim, 8);
  EXPECT_EQ(c->dataflow, Dataflow::kOS);
  auto b = load_config(bad);
  ASSERT_FALSE(b.is_ok());
  EXPECT_EQ(b.status().message(), bad + ": 'dim' must be a power of two, got 3");
  auto k = load_config(broken);
  ASSERT_FALSE(k.is_ok());
  EXPECT_EQ(k.status().message(), broken + ": not valid JSON");
  auto m = load_config(dir + "/missing.json");
  ASSERT_FALSE(m.is_ok());
  EXPECT_NE(m.status().message().find("missing.json"), std::string::npos);
}

}  // namespace
}  // namespace inr::systolic
