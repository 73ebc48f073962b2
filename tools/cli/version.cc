// `inr version`: version and the libraries inr was built with.
#include <cstdio>

#include <oneapi/dnnl/dnnl.hpp>

#include "command.h"

namespace inr::cli {

Command make_version_command(CLI::App& parent) {
  Command c;
  c.app = parent.add_subcommand("version", "Print the version and the libraries inr was built with");
  c.run = [] {
    const dnnl_version_t* v = dnnl_version();
    std::printf("inr %s\noneDNN %d.%d.%d (cpu runtime: OpenMP)\n", INR_VERSION, v->major, v->minor, v->patch);
    return 0;
  };
  return c;
}

}  // namespace inr::cli
