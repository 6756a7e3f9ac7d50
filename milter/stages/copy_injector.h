// CopyInjector: hands per-recipient copies of a message back to the MTA. Two production ones:
// SmtpCopyInjector (smtp_copy_injector.h: persistent connections to Postfix's copy listener,
// milter.copy_listener) and SendmailInjector, which pipes each copy into Postfix's sendmail
// (milter.reinject_command, no shell). Tests substitute their own to inject failures.
#pragma once

#include <string>
#include <vector>

#include "mime/body_spool.h"
#include "util/result.h"

namespace waybill::milter {

struct CopyRequest {
  std::string recipient;
  std::string header_block;  // ends with the empty line; the body is shared by all copies
};

// What became of one copy. Unknown: the connection broke after the content went out, so the
// MTA may have queued it (CopyVerdicts settles that).
struct CopyResult {
  enum class State { Queued, Failed, Unknown };
  State state = State::Failed;
  std::string error;  // when not Queued
  bool queued() const { return state == State::Queued; }
};

class CopyInjector {
 public:
  virtual ~CopyInjector() = default;
  // `header_block` ends with the empty line; the body follows from the spool.
  virtual Status inject(const std::string& sender, const std::string& recipient, const std::string& header_block,
                        const mime::BodySpool& body) = 0;
  // Every copy of one message; result i is what became of copies[i]. This one injects them in
  // order and stops at the first failure (the rest are reported not attempted).
  virtual std::vector<CopyResult> injectAll(const std::string& sender, const std::vector<CopyRequest>& copies,
                                        const mime::BodySpool& body);
};

class SendmailInjector : public CopyInjector {
 public:
  explicit SendmailInjector(const std::string& command);  // split on blanks
  Status inject(const std::string& sender, const std::string& recipient, const std::string& header_block,
                const mime::BodySpool& body) override;

 private:
  std::vector<std::string> argv_;
};

}  // namespace waybill::milter
