// WebhookSignature: the X-Waybill-Signature header that lets a receiver check a request came
// from us and is fresh: "t=UNIX_SECONDS,v1=HEX(HMAC-SHA256(secret, "UNIX_SECONDS." + body))".
// The timestamp is inside the MAC, so a receiver rejects replays by refusing old timestamps.
//
//   auto header = signWebhook(secret, std::time(nullptr), body);
//   bool ok = verifyWebhook(secret, header, body, now, std::chrono::minutes(5));
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace waybill::webhook {

inline constexpr const char* kSignatureHeader = "X-Waybill-Signature";

std::string hmacSha256Hex(std::string_view key, std::string_view data);
std::string signWebhook(std::string_view secret, std::int64_t unix_seconds, std::string_view body);
// True when the header's v1 MAC matches and its timestamp is within `tolerance` of `now`.
bool verifyWebhook(std::string_view secret, std::string_view header, std::string_view body,
                   std::int64_t now_unix_seconds, std::chrono::seconds tolerance);

}  // namespace waybill::webhook
