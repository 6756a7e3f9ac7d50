#include "api/api_key.h"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstdlib>

#include "mail/address.h"
#include "mail/address_syntax.h"
#include "util/base64url.h"
#include "util/sha256.h"

namespace waybill::api {

GeneratedApiKey generateApiKey() {
  std::array<unsigned char, 32> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) std::abort();  // no CSPRNG: no key
  GeneratedApiKey key;
  key.secret = std::string(kApiKeyPrefix) +
               base64UrlEncode(std::string_view(reinterpret_cast<const char*>(random.data()), random.size()));
  key.digest = apiKeyDigest(key.secret);
  key.shown = key.secret.substr(0, kApiKeyShownLength);
  return key;
}

std::string apiKeyDigest(std::string_view secret) { return toHex(sha256(secret)); }

bool looksLikeApiKey(std::string_view text) {
  if (text.size() != kApiKeyLength || !text.starts_with(kApiKeyPrefix)) return false;
  return std::all_of(text.begin() + static_cast<std::ptrdiff_t>(kApiKeyPrefix.size()), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

Result<std::string> senderDomain(std::string_view text) {
  auto domain = parseDomain(text);
  if (!domain) return makeError(domain.error());
  return asciiDomain(*domain);
}

bool senderDomainAllowed(const std::vector<std::string>& domains, std::string_view from_address) {
  auto mailbox = parseMailbox(from_address);
  if (!mailbox) return false;
  auto domain = senderDomain(domainOf(*mailbox));
  return domain && std::find(domains.begin(), domains.end(), *domain) != domains.end();
}

}  // namespace waybill::api
