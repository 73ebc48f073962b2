// The emulated Gemmini's hardware configuration: array size, scratchpad and accumulator geometry, DMA,
// clock, dataflow, and the few timing and calibration parameters the cycle model uses
// (cycle_model.h). Defaults are Gemmini's default int8 configuration (ucb-bar/gemmini Configs.scala /
// gemmini_params.h; see ../shared/research/gemmini.md section 2). Operands are int8, the accumulator int32.
//
// A config file (`--systolic-config FILE.json`) is a JSON object whose keys are the field names below;
// every key is optional (missing keys keep their defaults), unknown keys and wrong types are errors.
// Example: {"dim": 32, "sp_bytes": 524288, "dataflow": "os"}.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "inr/status.h"

namespace inr::systolic {

enum class Dataflow { kOS, kWS };  // output-stationary (`-x 1`), weight-stationary (`-x 2`)

std::string_view dataflow_name(Dataflow d);           // "os" | "ws"
Result<Dataflow> parse_dataflow(std::string_view name);  // "os"/"ws", case-insensitive

struct Config {
  // --- geometry (Gemmini defaults) ---
  int dim = 16;                        // DIM x DIM PEs (meshRows*tileRows); a power of two
  int64_t sp_bytes = 256 * 1024;       // scratchpad: sp_banks banks of rows of `dim` int8 (16 B rows)
  int sp_banks = 4;                    // BANK_NUM (BANK_ROWS = sp_bytes / sp_banks / dim = 4096)
  int64_t acc_bytes = 64 * 1024;       // accumulator: rows of `dim` int32 (64 B rows), ACC_ROWS = 1024
  int acc_banks = 2;
  // --- DMA (dma_buswidth 128 bits, dma_maxbytes 64, max_in_flight_mem_reqs 16) ---
  int dma_bytes_per_cycle = 16;        // bus beat: peak bytes per cycle per direction
  int dma_max_bytes = 64;              // largest single memory request (MAX_BYTES); a multiple of the beat
  int max_in_flight_reqs = 16;         // outstanding requests per direction (reader / writer); the load and
                                       // store controllers track max_in_flight_reqs / dim + 1 commands
  // --- clock (the FireSim target clock is not published; 1 GHz is an assumption, used for FPS only) ---
  double clock_hz = 1e9;
  Dataflow dataflow = Dataflow::kWS;
  // false: the cost model uses Gemmini's own tile choice (tiling.h), as the hardware's software would.
  // true: it also tries that tile search with the scratchpad and accumulator budgets cut to every
  // power-of-two fraction (down to 64*dim^2 and 16*dim^2 bytes) and keeps the fastest -- what a better
  // tiler could reach; with it, more scratchpad or accumulator is never slower.
  bool search_tiles = false;
  // --- fixed pipeline latencies (Configs.scala) ---
  int spad_read_delay = 4;             // scratchpad read latency, cycles
  int acc_latency = 2;                 // accumulator write latency, cycles
  int ws_min_rows = 4;                 // WS preload+compute pair lasts at least this many cycles (acc RAW)
  // --- memory system behind the DMA (fitted to FireSim ResNet50, README "Gemmini cycle model"; not RTL
  // facts): a shared L2 of l2_bytes (LRU over 64-byte lines) in front of DRAM ---
  double dram_bytes_per_cycle = 3.0;   // effective bandwidth of lines that miss in the L2
  double l2_bytes_per_cycle = 8.0;     // effective bandwidth of lines that hit
  int64_t l2_bytes = 1024 * 1024;      // L2 capacity the DMA sees (0: every load goes to DRAM)
  double dma_request_cycles = 5.0;     // cycles per request at full occupancy (latency / in-flight requests)
  int64_t dram_page_bytes = 2048;      // a miss outside the DRAM page of the previous miss ...
  double dram_page_miss_cycles = 0.0;  // ... costs this much more (row-buffer miss)
  // --- host CPU (Rocket), for what the Systolic EP does in software: the im2col matrix of an OS conv ---
  double host_bytes_per_cycle = 1.0;   // im2col bytes the host writes per cycle (assumption, not measured)

  // Derived sizes, in rows.
  int64_t sp_rows() const { return sp_bytes / dim; }                       // 16384
  int64_t sp_bank_rows() const { return sp_rows() / sp_banks; }           // 4096
  int64_t acc_rows() const { return acc_bytes / (int64_t{dim} * 4); }     // 1024
  int max_block_len() const { return dma_max_bytes / dim; }               // int8 blocks per mvin: 4
};

Config default_config();
// Ok, or one line saying which field is wrong and why (non-positive sizes, dim not a power of two,
// sizes that do not divide into whole rows/banks, dma_max_bytes not a multiple of the beat, ...).
Status validate(const Config& config);
// Starts from default_config(), applies the keys of `j`, validates. Errors are one line, no path prefix.
Result<Config> config_from_json(const nlohmann::json& j);
// Reads and parses `json_path`; errors are one line prefixed with the path.
Result<Config> load_config(const std::string& json_path);
// Every field, with the names config files use (round-trips through config_from_json).
nlohmann::json to_json(const Config& config);

}  // namespace inr::systolic
