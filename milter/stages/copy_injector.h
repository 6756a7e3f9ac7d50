// CopyInjector: hands one per-recipient copy of a message back to the MTA. The production one
// pipes it into Postfix's sendmail (milter.reinject_command, no shell); tests substitute their
// own to inject failures.
#pragma once

#include <string>
#include <vector>

#include "mime/body_spool.h"
#include "util/result.h"

namespace waybill::milter {

class CopyInjector {
 public:
  virtual ~CopyInjector() = default;
  // `header_block` ends with the empty line; the body follows from the spool.
  virtual Status inject(const std::string& sender, const std::string& recipient, const std::string& header_block,
                        const mime::BodySpool& body) = 0;
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
