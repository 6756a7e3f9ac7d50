// ClickPolicy: whether trackd may redirect a verified click, decided from the token alone:
// an optional maximum age (trackd.click_max_age) and an optional allowlist of destination hosts
// (trackd.click_allowed_hosts). A refused click gets a page instead of a redirect.
//
//   ClickPolicy policy{90 * 86400, {"example.com"}};
//   policy.judge(claims, now) == ClickVerdict::Redirect   // www.example.com, younger than 90 days
//
// A click signed before tokens carried an issue time (version 1, issued_at 0) has no age: the
// maximum age does not apply to it, the allowlist does. (To end those, rotate the token key.)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "token/tracking_token.h"

namespace waybill::track {

enum class ClickVerdict { Redirect, Expired, HostNotAllowed };

struct ClickPolicy {
  std::int64_t max_age_seconds = 0;        // 0: clicks never expire
  std::vector<std::string> allowed_hosts;  // lower case; each also allows its subdomains; empty: any

  ClickVerdict judge(const TokenClaims& claims, std::int64_t now_unix_seconds) const;
  bool hostAllowed(std::string_view url) const;
};

// The host of an absolute http(s) URL as a browser would read it (after userinfo, before port,
// path, query or fragment; '\' ends it as '/' does), lower-cased, without a trailing dot. Empty
// when there is none or when it holds anything but ASCII letters, digits, '-', '.', or an IPv6
// literal's brackets: a host a browser would decode first (%, non-ASCII) never matches a list.
std::string urlHost(std::string_view url);

// One allowlist entry as an operator writes it ("Example.COM", "*.example.com", ".example.com"),
// reduced to the host it names; empty when it is not a host name.
std::string normalizeAllowedHost(std::string_view entry);

}  // namespace waybill::track
