#include "stages/dkim_sign.h"

#include <algorithm>

#include "runtime/log.h"
#include "mail/address.h"

namespace waybill::milter {
namespace {

// libopendkim folds with CRLF; libmilter header values use bare LF line breaks.
std::string withLfFolding(std::string value) {
  value.erase(std::remove(value.begin(), value.end(), '\r'), value.end());
  return value;
}

// The index of the n-th (1-based) field with this name, or headers.size().
std::size_t occurrence(const std::vector<HeaderField>& headers, std::string_view name, int n) {
  for (std::size_t i = 0; i < headers.size(); ++i)
    if (equalsIgnoreCase(headers[i].name, name) && --n == 0) return i;
  return headers.size();
}

std::string fromAddress(const std::vector<HeaderField>& headers) {
  std::string from;
  for (const auto& field : headers)
    if (equalsIgnoreCase(field.name, "From")) from = firstAddressInHeader(field.value);
  return from;
}

StageStatus cannotSign(const std::string& queue_id, const std::string& problem) {
  log::error("queue {}: tempfail: DKIM: {}", queue_id, problem);
  return StageStatus::tempFail("Waybill cannot DKIM-sign this message now, try again later", "4.7.0");
}

}  // namespace

std::vector<HeaderField> headersAfterEdits(const MilterMessage& message) {
  std::vector<HeaderField> headers = message.headers;
  for (const auto& edit : message.header_edits) {
    switch (edit.kind) {
      case HeaderEdit::Kind::Add:
        headers.push_back({edit.name, *edit.value});
        break;
      case HeaderEdit::Kind::Insert:
        headers.insert(headers.begin() + std::min<std::size_t>(static_cast<std::size_t>(edit.index), headers.size()),
                       {edit.name, *edit.value});
        break;
      case HeaderEdit::Kind::Change: {
        const std::size_t at = occurrence(headers, edit.name, edit.index);
        if (at == headers.size()) {
          if (edit.value) headers.push_back({edit.name, *edit.value});
        } else if (edit.value) {
          headers[at].value = *edit.value;
        } else {
          headers.erase(headers.begin() + static_cast<std::ptrdiff_t>(at));
        }
        break;
      }
    }
  }
  return headers;
}

Result<std::vector<std::string>> DkimSignStage::sign(const MilterMessage& message) const {
  const auto headers = headersAfterEdits(message);
  auto signing = signer_->begin(fromAddress(headers), message.envelope.queue_id);
  if (!signing) return makeError(signing.error());
  if (signing->empty()) return std::vector<std::string>{};
  for (const auto& field : headers)
    if (auto s = signing->header(field.name, field.value); !s) return makeError(s.error());
  if (auto s = signing->endOfHeaders(); !s) return makeError(s.error());
  const auto& body = message.replacement_body ? message.replacement_body : message.body;
  if (body) {
    if (auto s = body->forEachChunk([&](std::string_view chunk) { return signing->body(chunk); }); !s)
      return makeError(s.error());
  }
  auto signatures = signing->finish();
  for (const auto& warning : signing->warnings()) log::warning("{}", warning);
  return signatures;
}

StageStatus DkimSignStage::onEndOfMessage(MilterMessage& message) {
  auto signatures = sign(message);
  if (!signatures) {
    if (allow_unsigned_) {
      log::warning("queue {}: sending unsigned (dkim.allow_unsigned): {}", message.envelope.queue_id, signatures.error());
      return StageStatus::proceed();
    }
    return cannotSign(message.envelope.queue_id, signatures.error());
  }
  // Inserted at the top in reverse, so they end up in SigningTable order.
  for (auto it = signatures->rbegin(); it != signatures->rend(); ++it)
    message.header_edits.push_back({HeaderEdit::Kind::Insert, "DKIM-Signature", 0, withLfFolding(*it)});
  return StageStatus::proceed();
}

StageStatus DkimKeyCheckStage::onEndOfMessage(MilterMessage& message) {
  if (allow_unsigned_) return StageStatus::proceed();  // DkimSignStage warns and sends unsigned
  auto usable = signer_->checkKeys(fromAddress(headersAfterEdits(message)));
  if (!usable) return cannotSign(message.envelope.queue_id, usable.error());
  return StageStatus::proceed();
}

}  // namespace waybill::milter
