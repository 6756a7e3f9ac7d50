#include "dns/spf_evaluator.h"

#include <fmt/format.h>

#include "mail/address.h"
#include "mail/ip_network.h"

namespace waybill::dns {
namespace {

constexpr int kMaxLookups = 10;  // RFC 7208 4.6.4: more DNS-querying terms is a permerror
constexpr int kMaxDepth = 10;

bool isV6(const std::string& address) { return address.find(':') != std::string::npos; }

SpfResult result(SpfResult::Verdict verdict, std::string detail) { return {verdict, std::move(detail)}; }

SpfResult::Verdict qualifierVerdict(char qualifier) {
  switch (qualifier) {
    case '-': return SpfResult::Verdict::Fail;
    case '~': return SpfResult::Verdict::SoftFail;
    case '?': return SpfResult::Verdict::Neutral;
    default: return SpfResult::Verdict::Pass;
  }
}

// "a:host/24//64" -> host "host", cidr "24" (or "64" for an IPv6 address); no host: the domain.
struct Target {
  std::string host;
  std::string cidr;
};

Target splitTarget(std::string_view body, const std::string& domain, bool v6) {
  Target target{domain, v6 ? "128" : "32"};
  std::string_view rest = body;
  if (!rest.empty() && rest[0] == ':') rest.remove_prefix(1);
  const auto slash = rest.find('/');
  std::string_view host = rest.substr(0, slash);
  if (!host.empty()) target.host = std::string(host);
  if (slash == std::string_view::npos) return target;
  std::string_view cidrs = rest.substr(slash);  // "/24", "//64" or "/24//64"
  const auto dual = cidrs.find("//");
  std::string_view v4 = dual == 0 ? std::string_view{} : cidrs.substr(1, dual == std::string_view::npos ? std::string_view::npos : dual - 1);
  std::string_view v6cidr = dual == std::string_view::npos ? std::string_view{} : cidrs.substr(dual + 2);
  if (v6 && !v6cidr.empty()) target.cidr = std::string(v6cidr);
  if (!v6 && !v4.empty()) target.cidr = std::string(v4);
  return target;
}

}  // namespace

std::string_view verdictName(SpfResult::Verdict verdict) {
  switch (verdict) {
    case SpfResult::Verdict::Pass: return "pass";
    case SpfResult::Verdict::Fail: return "fail";
    case SpfResult::Verdict::SoftFail: return "softfail";
    case SpfResult::Verdict::Neutral: return "neutral";
    case SpfResult::Verdict::None: return "none";
    case SpfResult::Verdict::PermError: return "permerror";
    case SpfResult::Verdict::TempError: return "temperror";
    case SpfResult::Verdict::Undecided: return "undecided";
  }
  return "undecided";
}

std::vector<std::string> spfRecords(const std::vector<std::string>& txt) {
  std::vector<std::string> found;
  for (const auto& record : txt) {
    const std::string lower = toLower(record);
    if (lower == "v=spf1" || lower.starts_with("v=spf1 ")) found.push_back(record);
  }
  return found;
}

SpfResult SpfEvaluator::check(const std::string& domain, const std::string& address) {
  lookups_ = 0;
  return evaluate(domain, address, 0);
}

std::optional<SpfResult> SpfEvaluator::countLookup() {
  if (++lookups_ > kMaxLookups) return result(SpfResult::Verdict::PermError, "more than 10 DNS-querying terms");
  return std::nullopt;
}

SpfResult SpfEvaluator::evaluate(const std::string& domain, const std::string& address, int depth) {
  if (depth > kMaxDepth) return result(SpfResult::Verdict::PermError, "include/redirect nested too deep");
  const auto answer = lookup_.query(domain, RecordType::Txt);
  if (answer.status == LookupAnswer::Status::Failed)
    return result(SpfResult::Verdict::TempError, fmt::format("TXT {}: {}", domain, answer.error));
  const auto records = spfRecords(answer.values);
  if (records.empty()) return result(SpfResult::Verdict::None, fmt::format("{} has no SPF record", domain));
  if (records.size() > 1) return result(SpfResult::Verdict::PermError, fmt::format("{} has {} SPF records", domain, records.size()));
  return evaluateRecord(domain, records[0], address, depth);
}

Result<bool> SpfEvaluator::hostMatches(const std::string& host, const std::string& address, const std::string& cidr) {
  const auto answer = lookup_.query(host, isV6(address) ? RecordType::Aaaa : RecordType::A);
  if (answer.status == LookupAnswer::Status::Failed) return makeError(fmt::format("{}: {}", host, answer.error));
  for (const auto& ip : answer.values) {
    auto network = IpNetworks::parse(ip + "/" + cidr);
    if (network && network->contains(address)) return true;
  }
  return false;
}

SpfResult SpfEvaluator::evaluateRecord(const std::string& domain, const std::string& record, const std::string& address,
                                       int depth) {
  std::string redirect;
  const bool v6 = isV6(address);
  for (const auto& raw_term : splitList(record, ' ')) {
    const std::string term = toLower(raw_term);
    if (term.empty() || term == "v=spf1") continue;
    if (term.starts_with("redirect=")) {
      redirect = term.substr(9);
      continue;
    }
    if (term.find('=') != std::string::npos) continue;  // exp= and unknown modifiers
    const char qualifier = std::string_view("+-~?").find(term[0]) != std::string_view::npos ? term[0] : '+';
    const std::string mechanism = qualifier == term[0] ? term.substr(1) : term;
    bool matched = false;
    if (mechanism == "all") {
      matched = true;
    } else if (mechanism.starts_with("ip4:") || mechanism.starts_with("ip6:")) {
      if (mechanism[2] == (v6 ? '6' : '4')) {
        auto network = IpNetworks::parse(mechanism.substr(4));
        if (!network) return result(SpfResult::Verdict::PermError, fmt::format("'{}': {}", raw_term, network.error()));
        matched = network->contains(address);
      }
    } else if (mechanism.starts_with("include:")) {
      if (auto limit = countLookup()) return *limit;
      const auto inner = evaluate(mechanism.substr(8), address, depth + 1);
      if (inner.verdict == SpfResult::Verdict::TempError || inner.verdict == SpfResult::Verdict::PermError ||
          inner.verdict == SpfResult::Verdict::Undecided)
        return inner;
      if (inner.verdict == SpfResult::Verdict::None)
        return result(SpfResult::Verdict::PermError, fmt::format("include:{} has no SPF record", mechanism.substr(8)));
      matched = inner.verdict == SpfResult::Verdict::Pass;
    } else if (mechanism == "a" || mechanism.starts_with("a:") || mechanism.starts_with("a/")) {
      if (auto limit = countLookup()) return *limit;
      const auto target = splitTarget(std::string_view(mechanism).substr(1), domain, v6);
      auto hit = hostMatches(target.host, address, target.cidr);
      if (!hit) return result(SpfResult::Verdict::TempError, hit.error());
      matched = *hit;
    } else if (mechanism == "mx" || mechanism.starts_with("mx:") || mechanism.starts_with("mx/")) {
      if (auto limit = countLookup()) return *limit;
      const auto target = splitTarget(std::string_view(mechanism).substr(2), domain, v6);
      const auto mx = lookup_.query(target.host, RecordType::Mx);
      if (mx.status == LookupAnswer::Status::Failed) return result(SpfResult::Verdict::TempError, mx.error);
      for (const auto& value : mx.values) {
        const auto space = value.find(' ');
        auto hit = hostMatches(space == std::string::npos ? value : value.substr(space + 1), address, target.cidr);
        if (!hit) return result(SpfResult::Verdict::TempError, hit.error());
        if ((matched = *hit)) break;
      }
    } else if (mechanism.starts_with("exists:") || mechanism == "ptr" || mechanism.starts_with("ptr:")) {
      return result(SpfResult::Verdict::Undecided, fmt::format("'{}' is not evaluated here", raw_term));
    } else {
      return result(SpfResult::Verdict::PermError, fmt::format("unknown term '{}'", raw_term));
    }
    if (matched) return result(qualifierVerdict(qualifier), fmt::format("{} in the policy of {}", raw_term, domain));
  }
  if (!redirect.empty()) {
    if (auto limit = countLookup()) return *limit;
    auto redirected = evaluate(redirect, address, depth + 1);
    if (redirected.verdict == SpfResult::Verdict::None)
      return result(SpfResult::Verdict::PermError, fmt::format("redirect={} has no SPF record", redirect));
    return redirected;
  }
  return result(SpfResult::Verdict::Neutral, fmt::format("no term of {}'s policy matches", domain));
}

}  // namespace waybill::dns
