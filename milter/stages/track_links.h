// TrackLinksStage: gives each envelope recipient a copy of the message whose links and open
// pixel carry that recipient's own tokens.
//
// Why copies: a milter edits one queue file, and one queue file has one body for all of its
// recipients. So with N > 1 recipients the stage keeps the first one in this transaction and
// re-injects one copy per other recipient (CopyInjector: over SMTP to Postfix's copy listener, in
// parallel, or through sendmail), each with a signed X-Waybill-Copy stamp (copy_stamp.h). That copy
// passes this milter again (the copy listener's smtpd_milters, or non_smtpd_milters for sendmail):
// the stamp names its message and recipient, so it is tracked
// for that recipient alone and not recorded a second time; every other stage (headers, DKIM, ...)
// runs on it as on any message. The alternative — one rewritten body per recipient inside one
// queue file — does not exist in Postfix; splitting in the client is not ours to ask.
//
// No loss, no duplicates: ids are derived from the message (sender, recipients, the client's
// Message-ID, or else Postfix's Message-ID and Date, Subject, body digest), so a retried transaction gets the same message
// and recipient ids; each
// injected copy is recorded in message_copies (idempotency key = recipient id) right after
// Postfix accepted it, and a retry skips recipients already injected. A copy carries the body as
// the template stage rendered it, without the template headers, so it is rendered once. Any failure tempfails the
// whole transaction: the client retries, and only the missing copies are injected then.
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "store/connection_pool.h"
#include "milter_message.h"
#include "stages/copy_injector.h"
#include "stages/copy_verdicts.h"
#include "stages/message_attempts.h"
#include "token/tracking_token.h"

namespace waybill::milter {

// The headers naming one message across a client's retries: Message-ID, Date and Subject, except
// that a client's own Message-ID makes Date irrelevant (Postfix adds a new Date at each attempt
// for local clients). Without one, Postfix's Message-ID (<STAMP.QUEUEID@host>) stays in: identical
// messages sent a second apart must never be taken for a retry, whose copies would be skipped.
std::string retryStableHeaders(const MilterMessage& message);

struct TrackLinksSettings {
  std::string base_url;  // tracking.base_url, no trailing '/'
  bool rewrite_text_links = true;
  std::string spool_dir = "/var/tmp";
  std::size_t spool_memory_limit = 1u << 20;
};

class TrackLinksStage : public Stage {
 public:
  TrackLinksStage(std::shared_ptr<const KeyRing> keys, TrackLinksSettings settings, ConnectionPool& pool,
                  CopyInjector& injector, CopyVerdicts& verdicts, MessageAttempts& attempts);
  const char* name() const override { return "track-links"; }
  StageStatus onEndOfMessage(MilterMessage& message) override;

 private:
  void adoptCopyOrDeriveIds(MilterMessage& message) const;
  Status injectCopies(MilterMessage& message);
  Result<std::vector<std::string>> rewriteFor(MilterMessage& message, std::size_t recipient) const;

  std::shared_ptr<const KeyRing> keys_;
  TokenCodec codec_;
  TrackLinksSettings settings_;
  ConnectionPool& pool_;
  CopyInjector& injector_;
  CopyVerdicts& verdicts_;
  MessageAttempts& attempts_;
};

// Wraps the record stage so it does not run for a stamped copy: its message is recorded with all
// recipients by the original transaction. (A retried original is caught by the record itself.)
class RecordOnceStage : public Stage {
 public:
  explicit RecordOnceStage(std::unique_ptr<Stage> record) : record_(std::move(record)) {}
  const char* name() const override { return record_->name(); }
  StageStatus onEndOfMessage(MilterMessage& message) override {
    if (message.is_copy) return StageStatus::proceed();
    return record_->onEndOfMessage(message);
  }

 private:
  std::unique_ptr<Stage> record_;
};

}  // namespace waybill::milter
