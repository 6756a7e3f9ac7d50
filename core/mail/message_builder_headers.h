// The header-writing half of MessageBuilder: RFC 2047 encoded words, quoted display names,
// mailboxes with their domain as A-labels, and folding a field within RFC 5322's line limits.
//
//   std::string field = foldHeader("Subject", encodeUnstructured("Grüße aus Köln"));
//   // "Subject: =?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?=\r\n"
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "api/submission.h"

namespace waybill::mail {

// A value as one or more encoded words separated by spaces (where the folder may break),
// when it needs them (non-ASCII, controls, "=?", a word too long to fold); else as it is.
std::string encodeUnstructured(std::string_view value);
// A display name as an atom phrase, a quoted string or encoded words.
std::string encodePhrase(std::string_view name);
// The address with its domain as A-labels; nothing when the domain is not a valid IDN.
std::optional<std::string> asciiAddress(std::string_view address);
// `Name <local@a-label>` or `local@a-label`; nothing when the domain is not a valid IDN.
std::optional<std::string> formatMailbox(const api::Mailbox& mailbox);
// "Name: value" + CRLF, folded at spaces (outside quoted strings) to stay within 78 columns where
// it can; nothing when a piece that cannot be broken would pass 998.
std::optional<std::string> foldHeader(std::string_view name, std::string_view value);

}  // namespace waybill::mail
