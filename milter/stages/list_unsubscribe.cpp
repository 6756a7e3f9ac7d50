#include "stages/list_unsubscribe.h"

#include <fmt/format.h>

#include "dsn/verp_address.h"
#include "mail/address.h"

namespace waybill::milter {

StageStatus ListUnsubscribeStage::onEndOfMessage(MilterMessage& message) {
  if (const auto* opt_out = message.header("X-Waybill-Unsubscribe")) {
    const std::string value = toLower(stripAngles(*opt_out));
    if (value == "off") return StageStatus::proceed();
    if (value != "on") return StageStatus::reject("X-Waybill-Unsubscribe: '" + value + "' is not one of on, off");
  }
  if (message.header("List-Unsubscribe")) return StageStatus::proceed();  // the application's own wins
  const auto sole = message.soleRecipientId();
  if (!sole) return StageStatus::tempFail("Waybill could not give each recipient its own unsubscribe link");
  const Uuid& recipient = *sole;
  std::vector<std::string> uris;
  if (!settings_.base_url.empty())
    uris.push_back(fmt::format("<{}/u/{}>", settings_.base_url, codec_.encode({TokenKind::Unsubscribe, recipient, {}})));
  if (!settings_.bounce_domain.empty())
    uris.push_back(fmt::format("<mailto:{}?subject=unsubscribe>", dsn::makeUnsubscribeAddress(codec_, recipient, settings_.bounce_domain)));
  if (uris.empty()) return StageStatus::proceed();

  std::string value = uris.front();
  for (std::size_t i = 1; i < uris.size(); ++i) value += ",\n\t" + uris[i];  // folded: tokens are long
  message.header_edits.push_back({HeaderEdit::Kind::Add, "List-Unsubscribe", 1, value});
  if (!settings_.base_url.empty())  // RFC 8058: one-click needs the https URI
    message.header_edits.push_back({HeaderEdit::Kind::Add, "List-Unsubscribe-Post", 1, "List-Unsubscribe=One-Click"});
  return StageStatus::proceed();
}

}  // namespace waybill::milter
