// checkLoopbackListen: the check of a `metrics_listen` option, pure text validation, so the
// configuration (core) checks it at parse time and runtime/metrics_server.h checks it again
// before binding.
#pragma once

#include <string_view>

#include "util/result.h"

namespace waybill::metrics {

// Accepts "127.0.0.1:PORT" (any 127/8 address), "[::1]:PORT" or "localhost:PORT"; anything
// else (0.0.0.0, a public address, a missing port) is refused: metrics are not for the world.
// `key` names the option in the error line. Empty text is valid and means "off".
Status checkLoopbackListen(std::string_view key, std::string_view text);

}  // namespace waybill::metrics
