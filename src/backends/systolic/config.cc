#include "backends/systolic/config.h"

#include <cctype>
#include <cmath>
#include <limits>
#include <type_traits>
#include <variant>
#include <vector>

#include "core/file.h"

namespace inr::systolic {
namespace {

// One table of the fields a config file may set: name and member pointer. Parsing, validation messages
// and to_json all walk it, so a new field is one line here.
using Member = std::variant<int Config::*, int64_t Config::*, double Config::*, Dataflow Config::*, bool Config::*>;
struct Field {
  const char* name;
  Member member;
};

const std::vector<Field>& fields() {
  static const std::vector<Field> kFields = {
      {"dim", &Config::dim},
      {"sp_bytes", &Config::sp_bytes},
      {"sp_banks", &Config::sp_banks},
      {"acc_bytes", &Config::acc_bytes},
      {"acc_banks", &Config::acc_banks},
      {"dma_bytes_per_cycle", &Config::dma_bytes_per_cycle},
      {"dma_max_bytes", &Config::dma_max_bytes},
      {"max_in_flight_reqs", &Config::max_in_flight_reqs},
      {"clock_hz", &Config::clock_hz},
      {"dataflow", &Config::dataflow},
      {"search_tiles", &Config::search_tiles},
      {"spad_read_delay", &Config::spad_read_delay},
      {"acc_latency", &Config::acc_latency},
      {"ws_min_rows", &Config::ws_min_rows},
      {"dram_bytes_per_cycle", &Config::dram_bytes_per_cycle},
      {"l2_bytes_per_cycle", &Config::l2_bytes_per_cycle},
      {"l2_bytes", &Config::l2_bytes},
      {"dma_request_cycles", &Config::dma_request_cycles},
      {"dram_page_bytes", &Config::dram_page_bytes},
      {"dram_page_miss_cycles", &Config::dram_page_miss_cycles},
      {"host_bytes_per_cycle", &Config::host_bytes_per_cycle},
  };
  return kFields;
}

std::string known_keys() {
  std::string s;
  for (const Field& f : fields()) {
    if (!s.empty()) s += ", ";
    s += f.name;
  }
  return s;
}

const char* json_type(const nlohmann::json& v) {
  if (v.is_number_integer()) return "an integer";
  if (v.is_number_float()) return "a number";
  return v.type_name();
}

Status set_field(Config& c, const Field& f, const nlohmann::json& v) {
  return std::visit(
      [&](auto member) -> Status {
        using T = std::remove_cvref_t<decltype(c.*member)>;
        if constexpr (std::is_same_v<T, Dataflow>) {
          if (!v.is_string()) return error("'{}' must be \"os\" or \"ws\", got {}", f.name, json_type(v));
          INR_ASSIGN_OR_RETURN(c.*member, parse_dataflow(v.get<std::string>()));
        } else if constexpr (std::is_same_v<T, bool>) {
          if (!v.is_boolean()) return error("'{}' must be true or false, got {}", f.name, json_type(v));
          c.*member = v.get<bool>();
        } else if constexpr (std::is_same_v<T, double>) {
          if (!v.is_number()) return error("'{}' must be a number, got {}", f.name, json_type(v));
          c.*member = v.get<double>();
        } else {
          if (!v.is_number_integer()) return error("'{}' must be an integer, got {}", f.name, json_type(v));
          if (v.is_number_unsigned() ? v.get<uint64_t>() > uint64_t(std::numeric_limits<T>::max())
                                     : (v.get<int64_t>() > std::numeric_limits<T>::max() ||
                                        v.get<int64_t>() < std::numeric_limits<T>::min()))
            return error("'{}' = {} is out of range", f.name, v.dump());
          c.*member = static_cast<T>(v.get<int64_t>());
        }
        return Status::ok();
      },
      f.member);
}

bool is_pow2(int64_t x) { return x > 0 && (x & (x - 1)) == 0; }

}  // namespace

std::string_view dataflow_name(Dataflow d) { return d == Dataflow::kOS ? "os" : "ws"; }

Result<Dataflow> parse_dataflow(std::string_view name) {
  std::string lower;
  for (char ch : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (lower == "os") return Dataflow::kOS;
  if (lower == "ws") return Dataflow::kWS;
  return error("dataflow '{}' is not \"os\" or \"ws\"", name);
}

Config default_config() { return Config{}; }

Status validate(const Config& c) {
  for (const Field& f : fields()) {
    Status s = std::visit(
        [&](auto member) -> Status {
          using T = std::remove_cvref_t<decltype(c.*member)>;
          if constexpr (std::is_same_v<T, Dataflow> || std::is_same_v<T, bool>) {
            return Status::ok();
          } else if constexpr (std::is_same_v<T, double>) {
            const bool may_be_zero = std::string_view(f.name) == "dram_page_miss_cycles";
            if (!std::isfinite(c.*member) || c.*member < 0 || (c.*member == 0 && !may_be_zero))
              return error("'{}' must be a {} number, got {}", f.name, may_be_zero ? "non-negative" : "positive",
                           c.*member);
            return Status::ok();
          } else {
            const std::string_view name = f.name;
            const bool may_be_zero = name == "spad_read_delay" || name == "acc_latency" || name == "l2_bytes";
            if (c.*member < 0 || (c.*member == 0 && !may_be_zero))
              return error("'{}' must be {}, got {}", f.name, may_be_zero ? "non-negative" : "positive", c.*member);
            return Status::ok();
          }
        },
        f.member);
    INR_TRY(s);
  }
  if (!is_pow2(c.dim)) return error("'dim' must be a power of two, got {}", c.dim);
  if (c.dim < 4 || c.dim > 256) return error("'dim' must be between 4 and 256, got {}", c.dim);
  if (c.sp_bytes % (int64_t{c.sp_banks} * c.dim) != 0)
    return error("'sp_bytes' {} is not a whole number of {}-byte rows in {} banks", c.sp_bytes, c.dim, c.sp_banks);
  if (c.acc_bytes % (int64_t{c.acc_banks} * c.dim * 4) != 0)
    return error("'acc_bytes' {} is not a whole number of {}-byte rows (dim int32) in {} banks", c.acc_bytes,
                 c.dim * 4, c.acc_banks);
  // The loop FSMs split the scratchpad and the accumulator into two halves for double buffering.
  if (c.sp_rows() < 2 * c.dim) return error("'sp_bytes' {} holds fewer than 2*dim rows", c.sp_bytes);
  if (c.acc_rows() < 2 * c.dim) return error("'acc_bytes' {} holds fewer than 2*dim rows", c.acc_bytes);
  if (!is_pow2(c.dma_bytes_per_cycle))
    return error("'dma_bytes_per_cycle' must be a power of two, got {}", c.dma_bytes_per_cycle);
  if (c.dma_max_bytes % c.dma_bytes_per_cycle != 0)
    return error("'dma_max_bytes' {} is not a multiple of 'dma_bytes_per_cycle' {}", c.dma_max_bytes,
                 c.dma_bytes_per_cycle);
  if (c.dma_max_bytes < c.dim || c.dma_max_bytes % c.dim != 0)
    return error("'dma_max_bytes' {} is not a multiple of 'dim' {} (one int8 block row)", c.dma_max_bytes, c.dim);
  if (c.dram_bytes_per_cycle > c.dma_bytes_per_cycle)
    return error("'dram_bytes_per_cycle' {} exceeds the DMA bus ('dma_bytes_per_cycle' {})", c.dram_bytes_per_cycle,
                 c.dma_bytes_per_cycle);
  if (c.l2_bytes_per_cycle > c.dma_bytes_per_cycle)
    return error("'l2_bytes_per_cycle' {} exceeds the DMA bus ('dma_bytes_per_cycle' {})", c.l2_bytes_per_cycle,
                 c.dma_bytes_per_cycle);
  return Status::ok();
}

Result<Config> config_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return error("a systolic config must be a JSON object, got {}", json_type(j));
  Config c = default_config();
  for (const auto& [key, value] : j.items()) {
    const Field* found = nullptr;
    for (const Field& f : fields())
      if (key == f.name) found = &f;
    if (!found) return error("unknown key '{}' (known: {})", key, known_keys());
    INR_TRY(set_field(c, *found, value));
  }
  INR_TRY(validate(c));
  return c;
}

Result<Config> load_config(const std::string& json_path) {
  auto text = read_file(json_path);
  if (!text) return text.status();
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return error("{}: not valid JSON", json_path);
  auto c = config_from_json(j);
  if (!c) return c.status().with_context(json_path);
  return c;
}

nlohmann::json to_json(const Config& c) {
  nlohmann::json j = nlohmann::json::object();
  for (const Field& f : fields()) {
    std::visit(
        [&](auto member) {
          using T = std::remove_cvref_t<decltype(c.*member)>;
          if constexpr (std::is_same_v<T, Dataflow>)
            j[f.name] = std::string(dataflow_name(c.*member));
          else
            j[f.name] = c.*member;
        },
        f.member);
  }
  return j;
}

}  // namespace inr::systolic
