// TrackingToken: the signed, self-contained identifier in every tracking URL (/o/, /c/, /u/) and
// mailto/VERP address. It names one recipient of one message and, for clicks, carries the target
// URL itself, so trackd can redirect with the key alone (database down, or another host) and can
// never be steered to a URL the milter did not sign (no open redirect).
//
// Wire form, base64url, where mac = first 16 bytes of HMAC-SHA256(key[key_id], everything before it):
//   version 1 (open, unsubscribe, bounce; clicks signed before issue times existed):
//     1 key_id(1) kind(1) recipient_uuid(16) [url bytes] mac(16)
//   version 2 (clicks): 2 key_id(1) 'c' recipient_uuid(16) issued_at(4, big-endian Unix seconds) url mac(16)
// Only clicks carry their issue time (trackd.click_max_age); the other kinds keep version 1, so
// VERP addresses and List-Unsubscribe URLs stay as short as before. Both versions verify.
//
//   TokenCodec codec(ring);
//   std::string t = codec.encode({TokenKind::Click, recipient, "https://example.com/x", now_unix});
//   auto claims = codec.decode(t);   // error for forged, altered, truncated or unknown-key tokens
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "token/key_ring.h"
#include "util/result.h"
#include "util/uuid.h"

namespace waybill {

enum class TokenKind : std::uint8_t { Open = 'o', Click = 'c', Unsubscribe = 'u', Bounce = 'b' };

struct TokenClaims {
  TokenKind kind = TokenKind::Open;
  Uuid recipient_id;
  std::string url;  // clicks only
  // Clicks only: Unix seconds when the milter signed it; 0 when unknown (a version-1 click).
  std::uint32_t issued_at = 0;
  bool operator==(const TokenClaims&) const = default;
};

class TokenCodec {
 public:
  static constexpr std::size_t kMaxTokenLength = 8192;

  explicit TokenCodec(std::shared_ptr<const KeyRing> keys) : keys_(std::move(keys)) {}

  std::string encode(const TokenClaims& claims) const;
  Result<TokenClaims> decode(std::string_view token) const;

 private:
  std::shared_ptr<const KeyRing> keys_;
};

}  // namespace waybill
