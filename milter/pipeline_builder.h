// Builds the milter's stage pipeline from the configuration, in its fixed order:
//   control headers → standard headers → suppressions → templates → tracking (per-recipient split) →
//   List-Unsubscribe → VERP → DKIM (last to change the message) → record → scheduled hold.
// Also owns what the stages share (copy injector, template renderer, suppression list: the
// caller starts the list's feed before the first message). A reload (SIGHUP) builds the stages
// again from the new configuration (token keys, DKIM keys, the settings of each stage) around the
// same shared parts, and swaps the whole pipeline: a message runs on the one it started with.
#pragma once

#include <memory>

#include "config/config.h"
#include "store/connection_pool.h"
#include "store/suppression_feed.h"
#include "pipeline.h"
#include "runtime/snapshot.h"
#include "stages/copy_injector.h"
#include "stages/copy_verdicts.h"
#include "stages/message_attempts.h"
#include "template/template_renderer.h"

namespace waybill::milter {

struct MilterPipeline {
  explicit MilterPipeline(const DatabaseConfig& database) : suppressions(std::make_unique<SuppressionFeed>(database)) {}
  runtime::Snapshot<Pipeline> pipeline{nullptr};
  std::unique_ptr<CopyInjector> injector;  // null while tracking.key_file was unset at start
  CopyVerdicts copy_verdicts;  // this process's verdicts on the copies it injected
  MessageAttempts message_attempts;  // across reloads: an attempt and its retry see each other
  std::shared_ptr<TemplateRenderer> templates;
  std::unique_ptr<SuppressionFeed> suppressions;
};

// Errors name the option at fault (one line, for start-up).
Result<std::unique_ptr<MilterPipeline>> buildMilterPipeline(const Config& config, ConnectionPool& pool);
// The stages again from `config` (SIGHUP), around built's shared parts; built.pipeline is
// untouched until the caller sets it. Errors name the option at fault.
Result<std::shared_ptr<const Pipeline>> rebuildStages(const Config& config, ConnectionPool& pool, MilterPipeline& built);

}  // namespace waybill::milter
