#include "milter_message.h"

#include "mail/address.h"

namespace waybill::milter {

const std::string* MilterMessage::header(std::string_view name) const {
  for (const auto& field : headers)
    if (equalsIgnoreCase(field.name, name)) return &field.value;
  return nullptr;
}

void MilterMessage::removeAll(std::string_view name) {
  int count = 0;
  for (const auto& field : headers)
    if (equalsIgnoreCase(field.name, name)) ++count;
  for (int index = count; index >= 1; --index)
    header_edits.push_back({HeaderEdit::Kind::Change, std::string(name), index, std::nullopt});
}

bool submittedViaSendmail(std::string_view helo, std::string_view client_macro) {
  return helo == "localhost" && client_macro == "localhost [127.0.0.1]";
}

std::optional<Uuid> MilterMessage::soleRecipientId() const {
  const auto& recipients = envelope.recipients;
  if (recipient_ids.empty() || recipients.size() != recipient_ids.size()) return std::nullopt;
  if (recipients.size() - recipients_to_delete.size() != 1) return std::nullopt;
  return recipient_ids.front();  // the split keeps the first recipient in this transaction
}

}  // namespace waybill::milter
