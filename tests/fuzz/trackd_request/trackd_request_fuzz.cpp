// Fuzzes what waybill-trackd reads from the internet and from its spool: request targets
// (track/track_route.cpp), tokens (token/tracking_token.cpp), one-click bodies and spool records
// (track/track_event.cpp), the destination host of a click (track/click_policy.cpp) and the rate
// limiter's client key (track/client_rate_limiter.cpp). Nothing may crash; a route's token must lie
// inside the target; a token the fuzzer did not sign must never verify; any event that parses must
// re-encode to a record that parses back to the same event; a host is plain lower-case ASCII (or a
// bracketed IPv6 literal) and is allowed by an allowlist naming exactly it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "token/tracking_token.h"
#include "track/click_policy.h"
#include "track/client_rate_limiter.h"
#include "track/track_event.h"
#include "track/track_route.h"

namespace {

const waybill::TokenCodec& codec() {
  static const waybill::TokenCodec instance([] {
    auto keys = std::make_shared<waybill::KeyRing>();
    keys->add(1, std::string(32, 's'));
    return keys;
  }());
  return instance;
}

void checkRoute(std::string_view method, std::string_view target) {
  const auto route = waybill::track::parseRoute(method, target);
  if (!route.token.empty() &&
      (route.token.data() < target.data() || route.token.data() + route.token.size() > target.data() + target.size()))
    std::abort();
  if (!route.token.empty() && codec().decode(route.token).ok()) std::abort();  // forged token verified
}

void checkSpool(std::string_view text) {
  for (const auto& event : waybill::track::parseSpool(text).events) {
    const auto again = waybill::track::parseSpool(waybill::track::encodeSpoolRecord(event));
    if (again.events.size() != 1 || !(again.events[0] == event)) std::abort();
  }
}

void checkHost(std::string_view url) {
  const std::string host = waybill::track::urlHost(url);
  if (host.empty()) return;
  for (char c : host)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '[' || c == ']' ||
          c == ':'))
      std::abort();
  const waybill::track::ClickPolicy policy{0, {host}};
  if (!policy.hostAllowed(url)) std::abort();
  (void)waybill::track::normalizeAllowedHost(url);
  (void)waybill::track::ClientRateLimiter::clientKey(url);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t space = input.find(' ');
  if (space != std::string_view::npos) checkRoute(input.substr(0, space), input.substr(space + 1));
  else checkRoute("GET", input);
  (void)waybill::track::isOneClickBody(input);
  checkSpool(input);
  checkHost(input);
  return 0;
}
