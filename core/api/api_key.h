// API keys of the HTTP submission API: what a key looks like, what is stored of it, and which
// From addresses it may send.
//
//   auto key = generateApiKey();              // key->secret is shown once, key->digest stored
//   auto stored = findKeyByDigest(apiKeyDigest(presented));   // (store/api_key_store.h)
//   if (!senderDomainAllowed(stored->sender_domains, from)) -> 403
//
// A key is "wbk_" and 43 base64url characters (256 random bits). It is stored as its SHA-256
// digest: with that much entropy a fast digest cannot be searched backwards, and a lookup by
// digest compares no secret byte by byte. The first 12 characters ("wbk_" + 8) stay readable,
// so an operator can tell keys apart in `waybill api-keys list` and in the logs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace waybill::api {

inline constexpr std::string_view kApiKeyPrefix = "wbk_";
inline constexpr std::size_t kApiKeyLength = 47;       // prefix + 43
inline constexpr std::size_t kApiKeyShownLength = 12;  // prefix + 8

struct GeneratedApiKey {
  std::string secret;  // the whole key: printed once, never stored
  std::string digest;  // hex SHA-256 of the secret
  std::string shown;   // the first kApiKeyShownLength characters
};

GeneratedApiKey generateApiKey();
std::string apiKeyDigest(std::string_view secret);
// The key's shape (prefix, length, alphabet): anything else is refused before any lookup.
bool looksLikeApiKey(std::string_view text);

// A sender domain as a key stores it: lower-case, IDNs as A-labels; an error names the problem.
Result<std::string> senderDomain(std::string_view text);
// Whether the From address's domain (IDN or not, any case) is one of `domains` (as senderDomain
// gives them). Exact: a key for example.com does not send as mail.example.com.
bool senderDomainAllowed(const std::vector<std::string>& domains, std::string_view from_address);

}  // namespace waybill::api
