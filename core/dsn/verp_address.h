// VerpAddress: the per-recipient return path and List-Unsubscribe mailto address on the bounce
// domain. Bounces come back to `LOCALPART+TOKEN@BOUNCE-DOMAIN` (TOKEN: a Bounce token naming the
// recipients row), unsubscribe mail to `unsub+TOKEN@BOUNCE-DOMAIN` (an Unsubscribe token). The
// milter writes them, waybill-pipe reads them; a forged or altered token is rejected by the codec.
//
//   std::string path = makeBounceAddress(codec, recipient_id, "bounce", "bounces.example.com");
//   auto parsed = parseVerpAddress(codec, envelope_recipient, "bounces.example.com");
//   if (parsed && parsed->kind == TokenKind::Bounce) attribute(parsed->recipient_id);
#pragma once

#include <string>
#include <string_view>

#include "token/tracking_token.h"
#include "util/result.h"
#include "util/uuid.h"

namespace waybill::dsn {

inline constexpr std::string_view kUnsubscribeLocalPart = "unsub";

std::string makeBounceAddress(const TokenCodec& codec, const Uuid& recipient_id, std::string_view local_part,
                              std::string_view bounce_domain);
std::string makeUnsubscribeAddress(const TokenCodec& codec, const Uuid& recipient_id, std::string_view bounce_domain);

// The claims of the token in an address on the bounce domain (domain compared case-insensitively;
// an empty bounce_domain accepts any). Errors: other domain, no "+TOKEN", bad or forged token.
Result<TokenClaims> parseVerpAddress(const TokenCodec& codec, std::string_view address, std::string_view bounce_domain);

}  // namespace waybill::dsn
