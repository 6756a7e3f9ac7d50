// Submitter: hands built messages to the local Postfix over a pool of persistent, pipelined SMTP
// connections (api.submit, api.submit_connections), so that policyd, the milter and everything
// after them apply to API mail as to any other. A message counts as sent only once Postfix
// answered 250 to its content: it is then in Postfix's queue, under the queue id it names.
//
//   Submitter submitter(address, {.connections = 8});
//   Submitted sent = submitter.submit(built.envelope_from, built.envelope_recipients, built.message);
//   if (sent.outcome == Submitted::Outcome::Queued) ... sent.queue_id, sent.recipients[i].state
#pragma once

#include <netinet/in.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "runtime/connection_pool.h"
#include "runtime/smtp_client.h"

namespace waybill::apid {

struct RecipientVerdict {
  enum class State {
    Queued,    // Postfix took the message for this recipient
    Refused,   // 5xx to RCPT: suppressed, unknown, not allowed (policyd, Postfix)
    Deferred,  // 4xx to RCPT: over quota, or Postfix busy; not sent, may be asked again later
    NotSent,   // the message as a whole was not taken
    Suppressed,  // taken by Postfix, then left out by the milter: on the suppression list
  };
  std::string address;
  State state = State::NotSent;
  std::string reply;  // Postfix's answer, as one line
  std::string id;     // recipients.id, once read back from what the milter recorded
};

struct Submitted {
  enum class Outcome {
    Queued,       // in Postfix's queue for at least one recipient
    NoRecipient,  // every recipient refused or deferred: nothing was sent
    Rejected,     // Postfix refused the message itself (5xx to MAIL or to its content)
    Unavailable,  // Postfix down, busy or tempfailing: nothing sent, try again later
    Unknown,      // the connection broke after the content went out: it may be queued
  };
  Outcome outcome = Outcome::Unavailable;
  std::vector<RecipientVerdict> recipients;
  std::string queue_id;
  std::string detail;  // why, when not Queued
};

struct SubmitterOptions {
  std::size_t connections = 8;
  std::chrono::seconds greeting_timeout{10};
  std::chrono::seconds timeout{120};
  // Postfix's smtpd drops a connection idle for smtpd_timeout (300 s); one idle longer than
  // this is closed rather than reused.
  std::chrono::seconds max_idle{240};
};

class Submitter {
 public:
  Submitter(sockaddr_in address, SubmitterOptions options);
  Submitted submit(const std::string& sender, const std::vector<std::string>& recipients, const std::string& message);

 private:
  using Connection = std::unique_ptr<runtime::SmtpClient>;
  // An idle connection, or a new one; an error when Postfix cannot be reached.
  Result<Connection> borrow();
  Submitted attempt(runtime::SmtpClient& connection, const std::string& sender, const std::vector<std::string>& recipients,
                    const std::string& message, bool& retry_on_fresh);

  const sockaddr_in address_;
  const SubmitterOptions options_;
  runtime::ConnectionPool<runtime::SmtpClient> pool_;
};

}  // namespace waybill::apid
