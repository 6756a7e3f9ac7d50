// Postfix list values (main.cf): items separated by commas and/or whitespace, `{ ... }` groups
// kept whole (per-milter settings, inline: tables, ${...} expressions), and a restriction that
// takes an argument (check_policy_service ADDR, check_*_access TABLE, reject_rbl_client DOMAIN)
// kept together with it, so lists can be edited without breaking their meaning.
//
//   splitPostfixList("check_policy_service inet:127.0.0.1:10040, permit_mynetworks reject")
//     == {"check_policy_service inet:127.0.0.1:10040", "permit_mynetworks", "reject"}
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace waybill::postfix {

std::vector<std::string> splitPostfixList(std::string_view value);
std::string joinPostfixList(const std::vector<std::string>& items);

// The first word of an item ("check_policy_service" of "check_policy_service inet:..."; for a
// `{ inet:host:port, opts }` group the address inside).
std::string firstWord(std::string_view item);

}  // namespace waybill::postfix
