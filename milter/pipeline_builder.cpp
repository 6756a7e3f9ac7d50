#include "pipeline_builder.h"

#include <map>
#include <set>
#include <string>

#include "runtime/log.h"
#include "mail/address.h"
#include "stages/control_headers.h"
#include "stages/dkim_sign.h"
#include "stages/list_unsubscribe.h"
#include "stages/record_message.h"
#include "stages/schedule_hold.h"
#include "stages/smtp_copy_injector.h"
#include "stages/standard_headers.h"
#include "stages/suppress_recipients.h"
#include "stages/templates.h"
#include "stages/track_links.h"
#include "stages/verp.h"

namespace waybill::milter {
namespace {

std::size_t spoolLimit(const Config& config) { return static_cast<std::size_t>(config.milter.spool_memory_limit_kb) * 1024; }

Result<std::shared_ptr<const dkim::MessageSigner>> loadSigner(const Config& config) {
  if (config.dkim.key_table.empty() && config.dkim.signing_table.empty()) return std::shared_ptr<const dkim::MessageSigner>();
  if (config.dkim.key_table.empty() || config.dkim.signing_table.empty())
    return makeError("options 'dkim.key_table' and 'dkim.signing_table' go together");
  auto signer = dkim::MessageSigner::load(config.dkim.key_table, config.dkim.signing_table, config.dkim.fallback_key);
  if (!signer) return makeError(signer.error());
  for (const auto& problem : (*signer)->keyProblems())
    log::warning("{}: mail that must be signed with it will be {}", problem, config.dkim.allow_unsigned ? "sent unsigned" : "tempfailed");
  return signer;
}

// Copies over SMTP to the copy listener when one is configured, else through the sendmail command.
Result<std::unique_ptr<CopyInjector>> makeCopyInjector(const MilterConfig& config) {
  if (config.copy_listener.empty()) return std::unique_ptr<CopyInjector>(std::make_unique<SendmailInjector>(config.reinject_command));
  SmtpCopySettings settings;
  settings.max_connections = static_cast<std::size_t>(config.copy_connections);
  auto injector = SmtpCopyInjector::create(config.copy_listener, settings);
  if (!injector) return makeError("option 'milter.copy_listener': " + injector.error());
  log::info("per-recipient copies go to the copy listener {} ({} connections at most)", config.copy_listener,
            config.copy_connections);
  return std::unique_ptr<CopyInjector>(std::move(*injector));
}

// Per-recipient features (tracking, List-Unsubscribe, VERP) all need the token keys.
Status addPerRecipientStages(const Config& config, ConnectionPool& pool, const std::map<std::string, std::string>& bounce_domains,
                             MilterPipeline& built, Pipeline& pipeline) {
  if (config.tracking.key_file.empty()) {
    log::warning("tracking, List-Unsubscribe and VERP off: option 'tracking.key_file' is not set");
    return {};
  }
  if (!built.injector) return makeError("option 'tracking.key_file': set since the start; restart to turn tracking on");
  if (config.tracking.base_url.empty() && config.tracking.default_mode != TrackMode::None)
    return makeError("option 'tracking.base_url': required while tracking is on (the public URL of "
                     "waybill-trackd, e.g. https://track.your-domain); or set tracking.default_mode = none");
  auto ring = KeyRing::loadFile(config.tracking.key_file);
  if (!ring) return makeError("option 'tracking.key_file': " + ring.error());
  auto keys = std::make_shared<const KeyRing>(std::move(*ring));
  // The split into one transaction per recipient happens here, also without a public base URL.
  TrackLinksSettings tracking{config.tracking.base_url, config.tracking.rewrite_text_links, config.milter.spool_dir,
                              spoolLimit(config)};
  pipeline.add(std::make_unique<TrackLinksStage>(keys, tracking, pool, *built.injector, built.copy_verdicts,
                                                 built.message_attempts));
  pipeline.add(std::make_unique<ListUnsubscribeStage>(
      keys, ListUnsubscribeSettings{config.tracking.base_url, config.pipe.bounce_domain}));
  pipeline.add(std::make_unique<VerpStage>(keys, config.pipe.bounce_local_part, config.pipe.bounce_domain, bounce_domains));
  return {};
}

// The domains Postfix hands to waybill-pipe (bounces, the unsubscribe mailto, inbound mail): their
// mail is not outbound and passes the pipeline untouched.
std::set<std::string> domainsOfWaybillPipe(const Config& config, const std::map<std::string, std::string>& bounce_domains) {
  std::set<std::string> domains;
  if (!config.pipe.bounce_domain.empty()) domains.insert(toLower(config.pipe.bounce_domain));
  for (const auto& domain : config.pipe.inbound_domains) domains.insert(toLower(domain));
  for (const auto& [sender_domain, bounce_domain] : bounce_domains) domains.insert(bounce_domain);
  return domains;
}

}  // namespace

Result<std::shared_ptr<const Pipeline>> rebuildStages(const Config& config, ConnectionPool& pool, MilterPipeline& built) {
  auto pipeline = std::make_shared<Pipeline>();
  auto signer = loadSigner(config);
  if (!signer) return makeError(signer.error());
  const auto clock = [] { return std::chrono::system_clock::now(); };

  pipeline->add(std::make_unique<ControlHeadersStage>(config.tracking.default_mode));
  pipeline->add(std::make_unique<StandardHeadersStage>(config.milter.message_id_domain, clock));
  auto trusted = IpNetworks::parse(config.milter.trusted_networks);
  if (!trusted) return makeError("option 'milter.trusted_networks': " + trusted.error());
  pipeline->trustNetworks(std::move(*trusted));
  // Before the copies are made and before any work on a body nobody may receive.
  pipeline->add(std::make_unique<SuppressRecipientsStage>(lookupIn(*built.suppressions), recordEventsIn(pool)));
  pipeline->add(std::make_unique<TemplatesStage>(built.templates, config.milter.spool_dir, spoolLimit(config)));
  if (*signer) pipeline->add(std::make_unique<DkimKeyCheckStage>(*signer, config.dkim.allow_unsigned));
  auto bounce_domains = VerpStage::parseDomainMap(config.milter.bounce_domains);
  if (!bounce_domains) return makeError("option 'milter.bounce_domains': " + bounce_domains.error());
  pipeline->passThrough(domainsOfWaybillPipe(config, *bounce_domains));
  if (auto added = addPerRecipientStages(config, pool, *bounce_domains, built, *pipeline); !added) return makeError(added.error());
  if (*signer) pipeline->add(std::make_unique<DkimSignStage>(*signer, config.dkim.allow_unsigned));
  else log::warning("DKIM signing off: options 'dkim.key_table' and 'dkim.signing_table' are not set");
  pipeline->add(std::make_unique<RecordOnceStage>(std::make_unique<RecordMessageStage>(pool)));
  pipeline->add(std::make_unique<ScheduleHoldStage>(pool, clock));
  // A copy's verdict, for the session of this process that injected it and may be waiting.
  pipeline->onFinished([verdicts = &built.copy_verdicts](const MilterMessage& message, bool accepted) {
    if (message.is_copy && message.recipient_ids.size() == 1) verdicts->report(message.recipient_ids[0].toString(), accepted);
  });
  return std::shared_ptr<const Pipeline>(std::move(pipeline));
}

Result<std::unique_ptr<MilterPipeline>> buildMilterPipeline(const Config& config, ConnectionPool& pool) {
  auto built = std::make_unique<MilterPipeline>(config.database);
  built->templates = std::make_shared<TemplateRenderer>(config.milter.template_dir);
  if (!config.tracking.key_file.empty()) {
    auto injector = makeCopyInjector(config.milter);
    if (!injector) return makeError(injector.error());
    built->injector = std::move(*injector);
  }
  auto stages = rebuildStages(config, pool, *built);
  if (!stages) return makeError(stages.error());
  built->pipeline.set(std::move(*stages));
  return built;
}

}  // namespace waybill::milter
