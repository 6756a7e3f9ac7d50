#include "stages/smtp_copy_connection.h"

#include <fmt/format.h>

namespace waybill::milter {
namespace {

constexpr const char* kPeer = "the copy listener";

Status refusal(const runtime::SmtpReply& reply, const char* step) {
  return makeError(fmt::format("{} answered {} {} to {}", kPeer, reply.code, reply.text, step));
}

}  // namespace

Result<std::unique_ptr<SmtpCopyConnection>> SmtpCopyConnection::open(const sockaddr_in& address,
                                                                     std::chrono::seconds greeting_timeout,
                                                                     std::chrono::seconds timeout) {
  auto client = runtime::SmtpClient::open(
      address, {.peer = kPeer, .helo = "waybill-milter", .greeting_timeout = greeting_timeout, .timeout = timeout});
  if (!client) {
    if (client.error().rfind("cannot connect", 0) == 0) return makeError(client.error());
    return makeError(client.error() + " (are all its smtpd processes busy? master.cf maxproc >= milter.copy_connections)");
  }
  return std::unique_ptr<SmtpCopyConnection>(new SmtpCopyConnection(std::move(*client)));
}

Status SmtpCopyConnection::send(const std::string& sender, const std::string& recipient, const std::string& header_block,
                                const mime::BodySpool& body) {
  auto outcome = client_->send(sender, {recipient}, [&](const auto& append) -> Status {
    if (auto written = append(header_block); !written) return written;
    return body.forEachChunk(append);
  });
  if (!outcome) return makeError(outcome.error());
  if (!outcome->mail.positive()) return refusal(outcome->mail, "MAIL FROM");
  if (outcome->recipients.empty() || !outcome->recipients[0].positive()) return refusal(outcome->recipients.at(0), "RCPT TO");
  if (!outcome->content_sent) return refusal(*outcome->data, "DATA");
  if (!outcome->queued()) return refusal(*outcome->data, "the end of data");
  return {};
}

}  // namespace waybill::milter
