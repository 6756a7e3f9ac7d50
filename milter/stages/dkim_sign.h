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

// What both DKIM stages hold: the signer, and whether a key that cannot be used lets the
// message go unsigned (dkim.allow_unsigned) instead of tempfailing it.
class DkimStage : public Stage {
 public:
  DkimStage(std::shared_ptr<const dkim::MessageSigner> signer, bool allow_unsigned)
      : signer_(std::move(signer)), allow_unsigned_(allow_unsigned) {}

 protected:
  std::shared_ptr<const dkim::MessageSigner> signer_;
  bool allow_unsigned_;
};

class DkimSignStage : public DkimStage {
 public:
  using DkimStage::DkimStage;
  const char* name() const override { return "dkim-sign"; }
  StageStatus onEndOfMessage(MilterMessage& message) override;

 private:
  Result<std::vector<std::string>> sign(const MilterMessage& message) const;
};

// DkimKeyCheckStage: runs before the split into per-recipient copies. A key that cannot be used
// must tempfail the transaction before copies are re-injected: each copy would otherwise sit in
// Postfix retrying against the same missing key while the original is retried too.
class DkimKeyCheckStage : public DkimStage {
 public:
  using DkimStage::DkimStage;
  const char* name() const override { return "dkim-key-check"; }
  StageStatus onEndOfMessage(MilterMessage& message) override;
};

}  // namespace waybill::milter
