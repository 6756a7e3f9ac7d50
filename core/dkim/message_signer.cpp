#include "dkim/message_signer.h"

#include <fmt/format.h>

namespace waybill::dkim {

Status MessageSigning::header(std::string_view name, std::string_view value) {
  for (auto& signature : signatures_)
    if (auto s = signature.header(name, value); !s) return s;
  return {};
}

Status MessageSigning::endOfHeaders() {
  for (auto& signature : signatures_)
    if (auto s = signature.endOfHeaders(); !s) return s;
  return {};
}

Status MessageSigning::body(std::string_view chunk) {
  for (auto& signature : signatures_)
    if (auto s = signature.body(chunk); !s) return s;
  return {};
}

Result<std::vector<std::string>> MessageSigning::finish() {
  std::vector<std::string> values;
  for (auto& signature : signatures_) {
    auto value = signature.finish();
    if (!value) return makeError(value.error());
    values.push_back(std::move(*value));
    if (!signature.warning().empty()) warnings_.push_back(signature.warning());
  }
  return values;
}

Result<std::shared_ptr<const MessageSigner>> MessageSigner::load(const std::string& key_table_path,
                                                                 const std::string& signing_table_path,
                                                                 const std::string& fallback_key) {
  auto keys = KeyTable::load(key_table_path);
  if (!keys) return makeError("option 'dkim.key_table': " + keys.error());
  auto rules = SigningTable::load(signing_table_path);
  if (!rules) return makeError("option 'dkim.signing_table': " + rules.error());
  return fromTables(std::move(*keys), std::move(*rules), fallback_key);
}

Result<std::shared_ptr<const MessageSigner>> MessageSigner::fromTables(KeyTable keys, SigningTable rules,
                                                                       const std::string& fallback_key) {
  auto signer = std::make_shared<MessageSigner>();
  auto library = DkimLibrary::create();
  if (!library) return makeError(library.error());
  signer->library_ = std::move(*library);
  if (!fallback_key.empty() && !keys.find(fallback_key))
    return makeError(fmt::format("option 'dkim.fallback_key': '{}' is not in the KeyTable", fallback_key));
  for (const auto& entry : keys.entries()) {
    auto key = loadSigningKey(entry);
    if (!key) signer->key_problems_.push_back(key.error());
    signer->loaded_.emplace(entry.name, std::move(key));
  }
  signer->keys_ = std::move(keys);
  signer->rules_ = std::move(rules);
  signer->fallback_key_ = fallback_key;
  return std::shared_ptr<const MessageSigner>(std::move(signer));
}

Result<std::vector<const SigningKey*>> MessageSigner::keysFor(const std::string& from_address) const {
  std::vector<std::string> names = rules_.namesFor(from_address);
  if (names.empty() && !fallback_key_.empty()) names.push_back(fallback_key_);
  std::vector<const SigningKey*> keys;
  for (const auto& name : names) {
    auto it = loaded_.find(name);
    if (it == loaded_.end())
      return makeError(fmt::format("SigningTable names key '{}' for {}, but the KeyTable has no such key", name, from_address));
    if (!it->second) return makeError(it->second.error());
    keys.push_back(&*it->second);
  }
  return keys;
}

Status MessageSigner::checkKeys(const std::string& from_address) const {
  auto keys = keysFor(from_address);
  if (!keys) return makeError(keys.error());
  return {};
}

Result<MessageSigning> MessageSigner::begin(const std::string& from_address, const std::string& job_id) const {
  auto keys = keysFor(from_address);
  if (!keys) return makeError(keys.error());
  MessageSigning signing;
  for (const SigningKey* key : *keys) {
    auto signature = DkimSignature::begin(*library_, *key, job_id);
    if (!signature) return makeError(signature.error());
    signing.signatures_.push_back(std::move(*signature));
  }
  return signing;
}

}  // namespace waybill::dkim
