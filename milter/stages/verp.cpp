#include "stages/verp.h"

#include <fmt/format.h>

#include "dsn/verp_address.h"
#include "mail/address.h"

namespace waybill::milter {

Result<std::map<std::string, std::string>> VerpStage::parseDomainMap(const std::string& text) {
  std::map<std::string, std::string> map;
  for (const auto& item : splitList(text)) {
    const auto equals = item.find('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == item.size())
      return makeError(fmt::format("'{}' is not SENDERDOMAIN=BOUNCEDOMAIN", item));
    map[toLower(stripAngles(item.substr(0, equals)))] = toLower(stripAngles(item.substr(equals + 1)));
  }
  return map;
}

StageStatus VerpStage::onEndOfMessage(MilterMessage& message) {
  if (message.envelope.sender.empty()) return StageStatus::proceed();
  auto mapped = per_sender_domain_.find(domainOf(message.envelope.sender));
  const std::string& domain = mapped != per_sender_domain_.end() ? mapped->second : default_domain_;
  if (domain.empty()) return StageStatus::proceed();
  const auto sole = message.soleRecipientId();
  if (!sole) return StageStatus::tempFail("Waybill could not give each recipient its own return path");
  message.new_sender = dsn::makeBounceAddress(codec_, *sole, local_part_, domain);
  return StageStatus::proceed();
}

}  // namespace waybill::milter
