// VerpAddress implementation. The token is base64url, so it needs no quoting in a local part and
// stays under the 64-octet limit (about 47 characters for a Bounce token).
#include "dsn/verp_address.h"

#include "dsn/mime_lite.h"

namespace waybill::dsn {

std::string makeBounceAddress(const TokenCodec& codec, const Uuid& recipient_id, std::string_view local_part,
                              std::string_view bounce_domain) {
  std::string token = codec.encode({TokenKind::Bounce, recipient_id, {}});
  return std::string(local_part) + "+" + token + "@" + std::string(bounce_domain);
}

std::string makeUnsubscribeAddress(const TokenCodec& codec, const Uuid& recipient_id, std::string_view bounce_domain) {
  std::string token = codec.encode({TokenKind::Unsubscribe, recipient_id, {}});
  return std::string(kUnsubscribeLocalPart) + "+" + token + "@" + std::string(bounce_domain);
}

Result<TokenClaims> parseVerpAddress(const TokenCodec& codec, std::string_view address, std::string_view bounce_domain) {
  std::size_t at = address.rfind('@');
  if (at == std::string_view::npos) return makeError("not an address");
  if (!bounce_domain.empty() && toLower(address.substr(at + 1)) != toLower(bounce_domain)) {
    return makeError("not on the bounce domain");
  }
  std::string_view local = address.substr(0, at);
  std::size_t plus = local.find('+');
  if (plus == std::string_view::npos || plus + 1 >= local.size()) return makeError("no token in the address");
  auto claims = codec.decode(local.substr(plus + 1));
  if (!claims) return makeError("bad token: " + claims.error());
  bool unsubscribe = local.substr(0, plus) == kUnsubscribeLocalPart;
  if (unsubscribe != (claims->kind == TokenKind::Unsubscribe) ||
      (!unsubscribe && claims->kind != TokenKind::Bounce)) {
    return makeError("token kind does not match the address");
  }
  return claims;
}

}  // namespace waybill::dsn
