// Syntax checks for what an operator or an application types as a mail address or a domain:
// RFC 5321 mailboxes (dot-atom or quoted local part, at most 64 octets; a domain of LDH labels,
// an IDN as A-labels or U-labels, or an address literal; at most 254 octets in all) and domains.
//
//   auto address = parseMailbox("<Ann@Example.COM>");   // "Ann@example.com"
//   if (!address) fmt::print(stderr, "{}\n", address.error());
#pragma once

#include <string>
#include <string_view>

#include "util/result.h"

namespace waybill {

// The address without angle brackets, its domain lower-cased (the local part keeps its case:
// RFC 5321 leaves it to the receiving host); or an error naming what is wrong.
Result<std::string> parseMailbox(std::string_view text);
// A domain name (LDH labels of 1-63 octets, 253 in all, no leading/trailing hyphen; U-labels must
// be a valid IDN), lower-cased.
Result<std::string> parseDomain(std::string_view text);
// A domain's ASCII form: an IDN's A-labels ("bücher.example" -> "xn--bcher-kva.example"), any
// other domain unchanged; an error when an IDN does not convert.
Result<std::string> asciiDomain(std::string_view domain);

}  // namespace waybill
