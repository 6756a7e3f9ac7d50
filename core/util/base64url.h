// base64url without padding (RFC 4648 section 5): the alphabet of tracking tokens in URLs and
// addresses. Decoding is strict: any character outside the alphabet, or stray bits, fails.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace waybill {

std::string base64UrlEncode(std::string_view bytes);
std::optional<std::string> base64UrlDecode(std::string_view text);

}  // namespace waybill
