#include "track/click_policy.h"

#include <algorithm>

namespace waybill::track {
namespace {

bool isHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Lower-cased, trailing dot dropped; empty unless every character is a host name character.
std::string plainHost(std::string_view text) {
  std::string host;
  host.reserve(text.size());
  for (char c : text) host.push_back(lower(c));
  if (!host.empty() && host.back() == '.') host.pop_back();
  if (host.empty() || host.front() == '.' || host.find("..") != std::string::npos) return {};
  if (!std::all_of(host.begin(), host.end(), isHostChar)) return {};
  return host;
}

bool matches(std::string_view host, std::string_view allowed) {
  if (host == allowed) return true;
  return host.size() > allowed.size() && host.ends_with(allowed) && host[host.size() - allowed.size() - 1] == '.';
}

}  // namespace

std::string urlHost(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  std::string_view authority = url.substr(scheme_end + 3);
  authority = authority.substr(0, authority.find_first_of("/\\?#"));
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  if (!authority.empty() && authority.front() == '[') {  // IPv6 literal: kept whole, brackets included
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return {};
    std::string literal;
    for (char c : authority.substr(0, close + 1)) literal.push_back(lower(c));
    const bool hex_and_colons = std::all_of(literal.begin() + 1, literal.end() - 1, [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == ':' || c == '.';
    });
    return hex_and_colons && literal.size() > 2 ? literal : std::string();
  }
  return plainHost(authority.substr(0, authority.find(':')));
}

std::string normalizeAllowedHost(std::string_view entry) {
  if (entry.starts_with("*.")) entry.remove_prefix(2);
  else if (entry.starts_with(".")) entry.remove_prefix(1);
  if (entry.starts_with("[")) return urlHost("http://" + std::string(entry));
  return plainHost(entry);
}

bool ClickPolicy::hostAllowed(std::string_view url) const {
  if (allowed_hosts.empty()) return true;
  const std::string host = urlHost(url);
  if (host.empty()) return false;
  return std::any_of(allowed_hosts.begin(), allowed_hosts.end(),
                     [&host](const std::string& allowed) { return matches(host, allowed); });
}

ClickVerdict ClickPolicy::judge(const TokenClaims& claims, std::int64_t now_unix_seconds) const {
  if (!hostAllowed(claims.url)) return ClickVerdict::HostNotAllowed;
  // issued_at 0: a version-1 click from before issue times, so no age to hold against it. A token
  // from a milter whose clock runs ahead counts as new.
  if (max_age_seconds > 0 && claims.issued_at != 0 &&
      now_unix_seconds - static_cast<std::int64_t>(claims.issued_at) > max_age_seconds)
    return ClickVerdict::Expired;
  return ClickVerdict::Redirect;
}

}  // namespace waybill::track
