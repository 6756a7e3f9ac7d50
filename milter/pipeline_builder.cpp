#include "pipeline_builder.h"

#include <map>
#include <set>
#include <string>

#include "log/log.h"
#include "mail/address.h"
#include "stages/control_headers.h"
#include "stages/dkim_sign.h"
#include "stages/list_unsubscribe.h"
#include "stages/record_message.h"
#include "stages/schedule_hold.h"
#include "stages/standard_headers.h"
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

// Per-recipient features (tracking, List-Unsubscribe, VERP) all need the token keys.
Status addPerRecipientStages(const Config& config, ConnectionPool& pool, const std::map<std::string, std::string>& bounce_domains,
                             MilterPipeline& built) {
  if (config.tracking.key_file.empty()) {
    log::warning("tracking, List-Unsubscribe and VERP off: option 'tracking.key_file' is not set");
    return {};
  }
  auto ring = KeyRing::loadFile(config.tracking.key_file);
  if (!ring) return makeError("option 'tracking.key_file': " + ring.error());
  auto keys = std::make_shared<const KeyRing>(std::move(*ring));
  built.injector = std::make_unique<SendmailInjector>(config.milter.reinject_command);
  // The split into one transaction per recipient happens here, also without a public base URL.
  TrackLinksSettings tracking{config.tracking.base_url, config.tracking.rewrite_text_links, config.milter.spool_dir,
                              spoolLimit(config)};
  built.pipeline.add(std::make_unique<TrackLinksStage>(keys, tracking, pool, *built.injector));
  built.pipeline.add(std::make_unique<ListUnsubscribeStage>(
      keys, ListUnsubscribeSettings{config.tracking.base_url, config.pipe.bounce_domain}));
  built.pipeline.add(std::make_unique<VerpStage>(keys, config.pipe.bounce_local_part, config.pipe.bounce_domain, bounce_domains));
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

Result<std::unique_ptr<MilterPipeline>> buildMilterPipeline(const Config& config, ConnectionPool& pool) {
  auto built = std::make_unique<MilterPipeline>();
  auto signer = loadSigner(config);
  if (!signer) return makeError(signer.error());
  const auto clock = [] { return std::chrono::system_clock::now(); };

  built->pipeline.add(std::make_unique<ControlHeadersStage>(config.tracking.default_mode));
  built->pipeline.add(std::make_unique<StandardHeadersStage>(config.milter.message_id_domain, clock));
  built->templates = std::make_shared<TemplateRenderer>(config.milter.template_dir);
  built->pipeline.add(std::make_unique<TemplatesStage>(built->templates, config.milter.spool_dir, spoolLimit(config)));
  if (*signer) built->pipeline.add(std::make_unique<DkimKeyCheckStage>(*signer, config.dkim.allow_unsigned));
  auto bounce_domains = VerpStage::parseDomainMap(config.milter.bounce_domains);
  if (!bounce_domains) return makeError("option 'milter.bounce_domains': " + bounce_domains.error());
  built->pipeline.passThrough(domainsOfWaybillPipe(config, *bounce_domains));
  if (auto added = addPerRecipientStages(config, pool, *bounce_domains, *built); !added) return makeError(added.error());
  if (*signer) built->pipeline.add(std::make_unique<DkimSignStage>(*signer, config.dkim.allow_unsigned));
  else log::warning("DKIM signing off: options 'dkim.key_table' and 'dkim.signing_table' are not set");
  built->pipeline.add(std::make_unique<RecordOnceStage>(std::make_unique<RecordMessageStage>(pool)));
  built->pipeline.add(std::make_unique<ScheduleHoldStage>(pool, clock));
  return built;
}

}  // namespace waybill::milter
