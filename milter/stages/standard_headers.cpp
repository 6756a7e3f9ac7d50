#include "stages/standard_headers.h"

#include "mail/address.h"

namespace waybill::milter {

StageStatus StandardHeadersStage::onEndOfMessage(MilterMessage& message) {
  if (const auto* given = message.header("Message-ID")) {
    message.message_id_header = stripAngles(*given);
  } else {
    std::string domain = message_id_domain_;
    if (domain.empty()) {
      const auto* from = message.header("From");
      domain = domainOf(from ? firstAddressInHeader(*from) : message.envelope.sender);
    }
    const std::string id = makeMessageId(domain);
    message.message_id_header = stripAngles(id);
    message.header_edits.push_back({HeaderEdit::Kind::Change, "Message-ID", 1, id});
  }
  if (!message.header("Date"))
    message.header_edits.push_back({HeaderEdit::Kind::Change, "Date", 1, formatRfc5322Date(clock_())});
  return StageStatus::proceed();
}

}  // namespace waybill::milter
