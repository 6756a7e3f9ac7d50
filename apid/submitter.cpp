#include "submitter.h"

#include <fmt/format.h>

namespace waybill::apid {
namespace {

using State = RecipientVerdict::State;

std::vector<RecipientVerdict> unsent(const std::vector<std::string>& recipients) {
  std::vector<RecipientVerdict> verdicts;
  for (const auto& address : recipients) verdicts.push_back({address, State::NotSent, {}, {}});
  return verdicts;
}

Submitted failed(Submitted::Outcome outcome, const std::vector<std::string>& recipients, std::string detail) {
  Submitted result;
  result.outcome = outcome;
  result.recipients = unsent(recipients);
  result.detail = std::move(detail);
  return result;
}

// What Postfix said, recipient by recipient and for the message.
Submitted judge(const runtime::SmtpOutcome& outcome, const std::vector<std::string>& recipients) {
  if (!outcome.mail.positive())
    return failed(outcome.mail.temporary() ? Submitted::Outcome::Unavailable : Submitted::Outcome::Rejected, recipients,
                  "Postfix answered " + outcome.mail.line() + " to MAIL FROM");
  Submitted result;
  bool any_deferred = false;
  for (std::size_t i = 0; i < recipients.size(); ++i) {
    const runtime::SmtpReply& reply = outcome.recipients.at(i);
    const State state = reply.positive() ? State::Queued : reply.temporary() ? State::Deferred : State::Refused;
    any_deferred = any_deferred || state == State::Deferred;
    result.recipients.push_back({recipients[i], state, reply.line(), {}});
  }
  if (outcome.queued()) {
    result.outcome = Submitted::Outcome::Queued;
    result.queue_id = outcome.queueId();
    return result;
  }
  bool any_taken = false;
  for (auto& verdict : result.recipients) {
    any_taken = any_taken || verdict.state == State::Queued;
    if (verdict.state == State::Queued) verdict.state = State::NotSent;
  }
  if (!any_taken) {  // Postfix answers DATA 554 then (or DATA was not sent)
    result.outcome = any_deferred ? Submitted::Outcome::Unavailable : Submitted::Outcome::NoRecipient;
    result.detail = any_deferred ? "no recipient was accepted now" : "every recipient was refused";
    return result;
  }
  const runtime::SmtpReply last = outcome.data.value_or(runtime::SmtpReply{});
  result.outcome = last.temporary() ? Submitted::Outcome::Unavailable : Submitted::Outcome::Rejected;
  result.detail = "Postfix answered " + last.line() + (outcome.content_sent ? " to the message" : " to DATA");
  return result;
}

}  // namespace

Submitter::Submitter(sockaddr_in address, SubmitterOptions options)
    : address_(address), options_(options), pool_({options.connections, options.max_idle}) {}

Result<Submitter::Connection> Submitter::borrow() {
  auto slot = pool_.borrow(std::nullopt);
  if (!slot || *slot) return slot;
  auto opened = runtime::SmtpClient::open(address_, {.peer = "Postfix", .helo = "waybill-apid",
                                                     .greeting_timeout = options_.greeting_timeout,
                                                     .timeout = options_.timeout});
  if (!opened) pool_.giveBack(nullptr);
  return opened;
}

Submitted Submitter::attempt(runtime::SmtpClient& connection, const std::string& sender,
                             const std::vector<std::string>& recipients, const std::string& message,
                             bool& retry_on_fresh) {
  const bool reused = connection.transactions() > 0;
  auto sent = connection.send(sender, recipients, [&](const auto& append) { return append(message); });
  retry_on_fresh = false;
  if (sent) return judge(*sent, recipients);
  if (connection.possiblyQueued())
    return failed(Submitted::Outcome::Unknown, recipients, sent.error() + " after the message was sent");
  // A pooled connection Postfix closed meanwhile: nothing was sent, so once more on a new one.
  retry_on_fresh = reused;
  return failed(Submitted::Outcome::Unavailable, recipients, sent.error());
}

Submitted Submitter::submit(const std::string& sender, const std::vector<std::string>& recipients,
                            const std::string& message) {
  for (int round = 0;; ++round) {
    auto connection = borrow();
    if (!connection) return failed(Submitted::Outcome::Unavailable, recipients, connection.error());
    bool retry_on_fresh = false;
    Submitted result = attempt(**connection, sender, recipients, message, retry_on_fresh);
    pool_.giveBack(std::move(*connection));
    if (!retry_on_fresh || round > 0) return result;
  }
}

}  // namespace waybill::apid
