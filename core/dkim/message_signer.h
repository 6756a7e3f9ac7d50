// MessageSigner: picks the keys for a message from the SigningTable (by its From address, falling
// back to a configured key name) and produces one DKIM-Signature per key, streaming like the
// milter callbacks. A key that cannot be read makes begin() fail, so the caller tempfails
// instead of sending unsigned mail.
//
//   auto signer = MessageSigner::load(key_table, signing_table, "");
//   auto signing = signer->begin("news@example.com", queue_id);   // empty when nothing matches
//   for (auto& h : headers) signing->header(h.name, h.value);
//   signing->endOfHeaders(); signing->body(chunk) ...; auto values = signing->finish();
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dkim/dkim_signer.h"
#include "dkim/signing_tables.h"
#include "util/result.h"

namespace waybill::dkim {

class MessageSigning {
 public:
  bool empty() const { return signatures_.empty(); }
  Status header(std::string_view name, std::string_view value);
  Status endOfHeaders();
  Status body(std::string_view chunk);
  Result<std::vector<std::string>> finish();  // DKIM-Signature values, in SigningTable order
  const std::vector<std::string>& warnings() const { return warnings_; }  // after finish(), for the log

 private:
  friend class MessageSigner;
  std::vector<DkimSignature> signatures_;
  std::vector<std::string> warnings_;
};

class MessageSigner {
 public:
  // fallback_key: a KeyTable name used when no SigningTable rule matches ("" = do not sign).
  static Result<std::shared_ptr<const MessageSigner>> load(const std::string& key_table_path,
                                                           const std::string& signing_table_path,
                                                           const std::string& fallback_key);
  static Result<std::shared_ptr<const MessageSigner>> fromTables(KeyTable keys, SigningTable rules,
                                                                 const std::string& fallback_key);

  Result<MessageSigning> begin(const std::string& from_address, const std::string& job_id) const;
  // Whether every key begin() would use for this From is usable; cheap (no libopendkim handle),
  // so a caller can refuse before doing work that a later signing failure would strand.
  Status checkKeys(const std::string& from_address) const;
  // Problems found while loading keys (unreadable files...), for a warning at start-up.
  const std::vector<std::string>& keyProblems() const { return key_problems_; }

 private:
  Result<std::vector<const SigningKey*>> keysFor(const std::string& from_address) const;

  std::unique_ptr<DkimLibrary> library_;
  KeyTable keys_;
  SigningTable rules_;
  std::string fallback_key_;
  std::map<std::string, Result<SigningKey>> loaded_;  // by key name
  std::vector<std::string> key_problems_;
};

}  // namespace waybill::dkim
