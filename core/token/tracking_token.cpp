#include "token/tracking_token.h"

#include <openssl/crypto.h>

#include <algorithm>

#include "util/base64url.h"

namespace waybill {
namespace {

constexpr std::uint8_t kVersion = 1;
constexpr std::uint8_t kVersionWithTime = 2;  // clicks, with their issue time
constexpr std::size_t kMacBytes = 16;  // 128-bit tag: forgery odds 2^-128 per try
constexpr std::size_t kHeaderBytes = 3 + 16;
constexpr std::size_t kTimeBytes = 4;

std::string macOf(const HmacSha256& key, std::string_view data) {
  const auto digest = key.mac(data);
  return std::string(reinterpret_cast<const char*>(digest.data()), kMacBytes);
}

bool knownKind(std::uint8_t kind) {
  return kind == 'o' || kind == 'c' || kind == 'u' || kind == 'b';
}

}  // namespace

std::string TokenCodec::encode(const TokenClaims& claims) const {
  const std::uint8_t key_id = keys_->signingKeyId();
  std::string payload;
  payload.reserve(kHeaderBytes + claims.url.size() + kMacBytes);
  const bool click = claims.kind == TokenKind::Click;
  payload.push_back(static_cast<char>(click ? kVersionWithTime : kVersion));
  payload.push_back(static_cast<char>(key_id));
  payload.push_back(static_cast<char>(claims.kind));
  payload.append(reinterpret_cast<const char*>(claims.recipient_id.bytes.data()), claims.recipient_id.bytes.size());
  if (click) {
    for (int shift = 24; shift >= 0; shift -= 8) payload.push_back(static_cast<char>((claims.issued_at >> shift) & 0xff));
    payload += claims.url;
  }
  payload += macOf(*keys_->mac(key_id), payload);
  return base64UrlEncode(payload);
}

Result<TokenClaims> TokenCodec::decode(std::string_view token) const {
  if (token.size() > kMaxTokenLength) return makeError("token too long");
  auto raw = base64UrlDecode(token);
  if (!raw) return makeError("token is not base64url");
  if (raw->size() < kHeaderBytes + kMacBytes) return makeError("token too short");
  const auto version = static_cast<std::uint8_t>((*raw)[0]);
  const auto key_id = static_cast<std::uint8_t>((*raw)[1]);
  const auto kind = static_cast<std::uint8_t>((*raw)[2]);
  if (version != kVersion && version != kVersionWithTime) return makeError("unknown token version");
  const HmacSha256* key = keys_->mac(key_id);
  if (!key) return makeError("unknown key id");
  const std::string_view signed_part(raw->data(), raw->size() - kMacBytes);
  const std::string expected = macOf(*key, signed_part);
  if (CRYPTO_memcmp(expected.data(), raw->data() + signed_part.size(), kMacBytes) != 0)
    return makeError("bad token signature");
  if (!knownKind(kind)) return makeError("unknown token kind");
  TokenClaims claims;
  claims.kind = static_cast<TokenKind>(kind);
  std::copy_n(raw->begin() + 3, 16, claims.recipient_id.bytes.begin());
  std::string_view rest = signed_part.substr(kHeaderBytes);
  if (version == kVersionWithTime) {
    if (claims.kind != TokenKind::Click) return makeError("issue time in a token that is not a click");
    if (rest.size() < kTimeBytes) return makeError("token too short");
    for (std::size_t i = 0; i < kTimeBytes; ++i)
      claims.issued_at = (claims.issued_at << 8) | static_cast<std::uint8_t>(rest[i]);
    rest.remove_prefix(kTimeBytes);
  }
  claims.url.assign(rest);
  if (claims.kind != TokenKind::Click && !claims.url.empty()) return makeError("unexpected url in token");
  return claims;
}

}  // namespace waybill
