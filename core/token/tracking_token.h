// TrackingToken: the signed, self-contained identifier in every tracking URL (/o/, /c/, /u/) and
// mailto/VERP address. It names one recipient of one message and, for clicks, carries the target
// URL itself, so trackd can redirect with the key alone (database down, or another host) and can
// never be steered to a URL the milter did not sign (no open redirect).
//
// Wire form, base64url: version(1) key_id(1) kind(1) recipient_uuid(16) [url bytes] mac(16)
// where mac = first 16 bytes of HMAC-SHA256(key[key_id], everything before it).
//
//   TokenCodec codec(ring);
//   std::string t = codec.encode({TokenKind::Click, recipient, "https://example.com/x"});
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
