// SmtpLimits: the size limits RFC 5321 (4.5.3.1) puts on an address, applied to addresses read out
// of untrusted mail (bounces, complaints) before they are looked up or stored. An address past
// them can name no mailbox we sent to, so it is reported as such instead of travelling further
// (a 10 KB "recipient" once made every later statement of its transaction fail).
//
//   if (!fitsSmtpLimits(result.recipient)) why = "address_too_long";
//   std::string shown = shortenedForDisplay(result.recipient);   // bounded, says how long it was
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace waybill {

inline constexpr std::size_t kMaxSmtpLocalPart = 64;   // octets
inline constexpr std::size_t kMaxSmtpDomain = 255;     // octets
inline constexpr std::size_t kMaxSmtpPath = 256;       // "<" local "@" domain ">", octets
// RFC 5322 2.1.1: a header line, and so a Message-ID, is at most 998 octets.
inline constexpr std::size_t kMaxHeaderLine = 998;

// True for "local@domain" with a non-empty local part and domain inside the limits above.
bool fitsSmtpLimits(std::string_view mailbox);
// The text itself when it is at most max bytes, else its first bytes and "... (N bytes)".
std::string shortenedForDisplay(std::string_view text, std::size_t max = kMaxSmtpPath);

}  // namespace waybill
