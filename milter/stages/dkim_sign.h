// DkimSignStage: the last stage. Signs the message as it will leave — the headers after every
// other stage's edits, the body after rewriting — with each key the SigningTable names for the
// From address (rsa and ed25519 side by side), and puts the DKIM-Signature fields on top.
// A key that cannot be used means a temporary failure (the MTA retries), never unsigned mail,
// unless dkim.allow_unsigned says otherwise.
#pragma once

#include <memory>

#include "dkim/message_signer.h"
#include "milter_message.h"

namespace waybill::milter {

// The header block as Postfix will write it once the edits are applied (adds go to the end,
// a change of a missing field adds it, a change without value deletes).
std::vector<HeaderField> headersAfterEdits(const MilterMessage& message);

class DkimSignStage : public Stage {
 public:
  DkimSignStage(std::shared_ptr<const dkim::MessageSigner> signer, bool allow_unsigned)
      : signer_(std::move(signer)), allow_unsigned_(allow_unsigned) {}
  const char* name() const override { return "dkim-sign"; }
  StageStatus onEndOfMessage(MilterMessage& message) override;

 private:
  Result<std::vector<std::string>> sign(const MilterMessage& message) const;

  std::shared_ptr<const dkim::MessageSigner> signer_;
  bool allow_unsigned_;
};

// DkimKeyCheckStage: runs before the split into per-recipient copies. A key that cannot be used
// must tempfail the transaction before copies are re-injected: each copy would otherwise sit in
// Postfix retrying against the same missing key while the original is retried too.
class DkimKeyCheckStage : public Stage {
 public:
  DkimKeyCheckStage(std::shared_ptr<const dkim::MessageSigner> signer, bool allow_unsigned)
      : signer_(std::move(signer)), allow_unsigned_(allow_unsigned) {}
  const char* name() const override { return "dkim-key-check"; }
  StageStatus onEndOfMessage(MilterMessage& message) override;

 private:
  std::shared_ptr<const dkim::MessageSigner> signer_;
  bool allow_unsigned_;
};

}  // namespace waybill::milter
