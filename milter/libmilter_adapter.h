// The only place that speaks libmilter: turns its callbacks into a MilterMessage, runs the
// Pipeline at end of message, and applies the edits. Each connection owns a MilterSession
// (smfi_setpriv), released in the close callback.
#pragma once

#include <string>

#include "milter_metrics.h"
#include "pipeline.h"
#include "runtime/snapshot.h"

namespace waybill::milter {

// Where message bodies are kept while a transaction lasts (mime/body_spool.h).
struct BodySpoolSettings {
  std::string directory = "/var/tmp";
  std::size_t memory_limit = 1u << 20;
};

// Registers the callbacks and runs libmilter's loop until SIGTERM; returns the exit status.
// Each message runs on the pipeline current at its end of message (a reload swaps it).
// `metrics` (may be null) counts every end of message.
int runMilter(const runtime::Snapshot<Pipeline>& pipelines, const std::string& socket_spec, int timeout_seconds,
              BodySpoolSettings spool = {}, MilterMetrics* metrics = nullptr);

}  // namespace waybill::milter
