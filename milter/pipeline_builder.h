// Builds the milter's stage pipeline from the configuration, in its fixed order:
//   control headers → standard headers → templates → tracking (per-recipient split) →
//   List-Unsubscribe → VERP → DKIM (last to change the message) → record → scheduled hold.
// Also owns what the stages share (copy injector, template renderer).
#pragma once

#include <memory>

#include "config/config.h"
#include "db/connection_pool.h"
#include "pipeline.h"
#include "stages/copy_injector.h"
#include "template/template_renderer.h"

namespace waybill::milter {

struct MilterPipeline {
  Pipeline pipeline;
  std::unique_ptr<SendmailInjector> injector;
  std::shared_ptr<TemplateRenderer> templates;
};

// Errors name the option at fault (one line, for start-up).
Result<std::unique_ptr<MilterPipeline>> buildMilterPipeline(const Config& config, ConnectionPool& pool);

}  // namespace waybill::milter
