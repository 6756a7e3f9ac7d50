#include "webhook/webhook_signature.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>

namespace waybill::webhook {
namespace {

struct ParsedHeader {
  std::int64_t timestamp = -1;
  std::string mac;
};

ParsedHeader parseHeader(std::string_view header) {
  ParsedHeader parsed;
  while (!header.empty()) {
    const auto comma = header.find(',');
    const auto part = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    if (part.starts_with("t=")) {
      const auto digits = part.substr(2);
      std::int64_t value = 0;
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
      if (ec == std::errc() && end == digits.data() + digits.size()) parsed.timestamp = value;
    } else if (part.starts_with("v1=")) {
      parsed.mac = std::string(part.substr(3));
    }
  }
  return parsed;
}

}  // namespace

std::string hmacSha256Hex(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac, &length);
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", mac[i]);
  return hex;
}

std::string signWebhook(std::string_view secret, std::int64_t unix_seconds, std::string_view body) {
  const std::string timestamp = std::to_string(unix_seconds);
  std::string signed_text;
  signed_text.reserve(timestamp.size() + 1 + body.size());
  signed_text.append(timestamp).append(".").append(body);
  return fmt::format("t={},v1={}", timestamp, hmacSha256Hex(secret, signed_text));
}

bool verifyWebhook(std::string_view secret, std::string_view header, std::string_view body,
                   std::int64_t now_unix_seconds, std::chrono::seconds tolerance) {
  const auto parsed = parseHeader(header);
  if (parsed.timestamp < 0 || parsed.mac.size() != 64) return false;
  const auto age = now_unix_seconds - parsed.timestamp;
  if (age > tolerance.count() || -age > tolerance.count()) return false;
  const auto expected = signWebhook(secret, parsed.timestamp, body);
  const auto expected_mac = std::string_view(expected).substr(expected.find("v1=") + 3);
  // Constant time, so a forger learns nothing from how long a refusal took.
  return CRYPTO_memcmp(expected_mac.data(), parsed.mac.data(), expected_mac.size()) == 0;
}

}  // namespace waybill::webhook
