// `inr version`: version and the libraries inr was built with.
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>
#include <oneapi/dnnl/dnnl.hpp>

#include "command.h"

namespace inr::cli {

Command make_version_command(CLI::App& parent) {
  Command c;
  c.app = parent.add_subcommand("version", "Print the version and the libraries inr was built with");
  c.run = [] {
    std::printf("inr %s\noneDNN %s (cpu runtime: OpenMP)\n", INR_VERSION, onednn_version().c_str());
    std::printf("cpu tier: %s\n", cpu_tier_summary().c_str());
    const char* policy = std::getenv("OMP_WAIT_POLICY");
    const char* spin = std::getenv("GOMP_SPINCOUNT");
    std::printf("OpenMP wait: OMP_WAIT_POLICY=%s GOMP_SPINCOUNT=%s\n", policy ? policy : "(unset)", spin ? spin : "(unset)");
    return 0;
  };
  return c;
}

}  // namespace inr::cli
