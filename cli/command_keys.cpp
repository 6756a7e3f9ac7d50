// `waybill keys token [--id N]`: prints a new tracking-token key line for tracking.key_file.
#include <fmt/format.h>

#include "commands.h"
#include "token/key_ring.h"

namespace waybill::cli {

int runKeys(const Config&, const Args& args) {
  if (!args.empty() && args[0] == "token") {
    int id = 1;
    if (args.size() == 3 && args[1] == "--id") id = std::atoi(args[2].c_str());
    if (id < 0 || id > 255 || (args.size() != 1 && args.size() != 3)) {
      fmt::print(stderr, "usage: waybill keys token [--id 0..255]\n");
      return 64;
    }
    fmt::print("{}\n", KeyRing::generateLine(static_cast<std::uint8_t>(id)));
    return 0;
  }
  fmt::print(stderr, "usage: waybill keys token [--id N]\n");
  return 64;
}

}  // namespace waybill::cli
