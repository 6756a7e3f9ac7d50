// The only place that speaks libmilter: turns its callbacks into a MilterMessage, runs the
// Pipeline at end of message, and applies the edits. Each connection owns a MilterSession
// (smfi_setpriv), released in the close callback.
#pragma once

#include <string>

#include "pipeline.h"

namespace waybill::milter {

// Registers the callbacks and runs libmilter's loop until SIGTERM; returns the exit status.
int runMilter(const Pipeline& pipeline, const std::string& socket_spec, int timeout_seconds);

}  // namespace waybill::milter
