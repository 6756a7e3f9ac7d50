// judge(): one function per kind of record, each reading what DNS answered and saying in one
// line what is wrong with it, for the operator to fix.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <variant>

#include "dkim/dkim_signer.h"
#include "dns/dns_checks.h"
#include "dns/spf_evaluator.h"
#include "mail/address.h"

namespace waybill::dns {
namespace {

Judgement ok(std::string detail = "") { return {Verdict::Ok, std::move(detail)}; }
Judgement wrong(std::string detail) { return {Verdict::Wrong, std::move(detail)}; }
Judgement missing(std::string detail) { return {Verdict::Missing, std::move(detail)}; }

std::string tagValue(const std::vector<std::pair<std::string, std::string>>& tags, std::string_view tag,
                     std::string fallback = "") {
  for (const auto& [name, value] : tags)
    if (name == tag) return value;
  return fallback;
}

bool hasTag(const std::vector<std::pair<std::string, std::string>>& tags, std::string_view tag) {
  return std::any_of(tags.begin(), tags.end(), [&](const auto& t) { return t.first == tag; });
}

std::string withoutBlanks(std::string text) {
  text.erase(std::remove_if(text.begin(), text.end(), [](char c) { return c == ' ' || c == '\t'; }), text.end());
  return text;
}

// The TXT records at the name that start with prefix (case-insensitive), or the judgement to give.
std::variant<std::vector<std::string>, Judgement> txtStartingWith(DnsLookup& lookup, const std::string& name,
                                                                 std::string_view prefix) {
  const auto answer = lookup.query(name, RecordType::Txt);
  if (answer.status == LookupAnswer::Status::Failed) return Judgement{Verdict::Unknown, answer.error};
  std::vector<std::string> found;
  for (const auto& value : answer.values)
    if (toLower(withoutBlanks(value)).starts_with(prefix)) found.push_back(value);
  if (found.empty()) return missing(fmt::format("no TXT record starting with {}", prefix));
  return found;
}

bool aligned(const std::string& a, const std::string& b, bool strict) {
  if (equalsIgnoreCase(a, b)) return true;
  if (strict) return false;
  const std::string la = toLower(a), lb = toLower(b);
  return la.ends_with("." + lb) || lb.ends_with("." + la);
}

Judgement judgeDkim(const RequiredRecord& record, DnsLookup& lookup) {
  const auto answer = lookup.query(record.name, RecordType::Txt);
  if (answer.status == LookupAnswer::Status::Failed) return {Verdict::Unknown, answer.error};
  if (answer.values.empty()) return missing("no TXT record: verifiers find no key for this selector");
  if (answer.values.size() > 1) return wrong(fmt::format("{} TXT records at one selector: verifiers may pick any", answer.values.size()));
  const auto tags = parseTags(answer.values[0]);
  if (hasTag(tags, "v") && (tags.front().first != "v" || tagValue(tags, "v") != "DKIM1"))
    return wrong("v= must be DKIM1 and come first");
  const std::string expected_k = record.key->algorithm == dkim::KeyAlgorithm::Ed25519 ? "ed25519" : "rsa";
  const std::string k = toLower(tagValue(tags, "k", "rsa"));
  if (k != expected_k) return wrong(fmt::format("k={} but {} is an {} key", k, record.key->key_path, expected_k));
  if (!hasTag(tags, "p")) return wrong("no p= tag");
  const std::string p = withoutBlanks(tagValue(tags, "p"));
  if (p.empty()) return wrong("p= is empty: the key is revoked");
  if (p != record.key->public_base64) return wrong(fmt::format("p= is not the public half of {}", record.key->key_path));
  return ok(fmt::format("{} key of {}", expected_k, record.key->key_path));
}

Judgement judgeSpf(const RequiredRecord& record, const MailSetup& setup, DnsLookup& lookup) {
  const auto answer = lookup.query(record.name, RecordType::Txt);
  if (answer.status == LookupAnswer::Status::Failed) return {Verdict::Unknown, answer.error};
  const auto records = spfRecords(answer.values);
  if (records.empty()) return missing("no v=spf1 TXT record: receivers cannot tell this host may send for it");
  if (records.size() > 1) return wrong(fmt::format("{} SPF records: receivers treat that as a permanent error", records.size()));
  for (const auto& term : splitList(toLower(records[0]), ' '))
    if (term == "all" || term == "+all") return wrong(fmt::format("'{}' lets every host on the Internet send as {}", term, record.name));
  if (setup.sending_addresses.empty()) return ok("syntax only: set dns.sending_addresses to check which hosts it allows");
  SpfEvaluator spf(lookup);
  for (const auto& address : setup.sending_addresses) {
    const auto result = spf.check(record.name, address);
    // No answer, or a term not evaluated here (exists, ptr): the record may well be right.
    if (result.verdict == SpfResult::Verdict::TempError || result.verdict == SpfResult::Verdict::Undecided)
      return {Verdict::Unknown, fmt::format("{}: {}", address, result.detail)};
    if (result.verdict != SpfResult::Verdict::Pass)
      return wrong(fmt::format("{} does not pass for {} ({}: {})", address, record.name, verdictName(result.verdict), result.detail));
  }
  return ok(fmt::format("passes for {}", fmt::join(setup.sending_addresses, ", ")));
}

Judgement judgeDmarc(const RequiredRecord& record, const MailSetup& setup, DnsLookup& lookup) {
  auto found = txtStartingWith(lookup, record.name, "v=dmarc1");
  if (auto* judgement = std::get_if<Judgement>(&found)) return *judgement;
  const auto& records = std::get<std::vector<std::string>>(found);
  if (records.size() > 1) return wrong(fmt::format("{} DMARC records: receivers ignore them all", records.size()));
  const auto tags = parseTags(records[0]);
  if (tags.front().first != "v" || tagValue(tags, "v") != "DMARC1") return wrong("v=DMARC1 must come first, spelled so");
  if (!hasTag(tags, "p")) return wrong("no p= tag: receivers ignore the record");
  const std::string p = toLower(tagValue(tags, "p"));
  if (p != "none" && p != "quarantine" && p != "reject") return wrong(fmt::format("p={} is not none, quarantine or reject", p));
  for (const char* mode : {"adkim", "aspf"}) {
    const std::string value = toLower(tagValue(tags, mode, "r"));
    if (value != "r" && value != "s") return wrong(fmt::format("{}={} is not r or s", mode, value));
  }
  const std::string bounce = setup.bounceDomainOf(record.domain);
  const bool spf_strict = toLower(tagValue(tags, "aspf", "r")) == "s";
  std::string detail = fmt::format("p={}", p);
  if (!bounce.empty() && !aligned(bounce, record.domain, spf_strict))
    detail += fmt::format("; SPF does not align (bounce domain {}, aspf={}): DMARC rests on DKIM alone", bounce, spf_strict ? "s" : "r");
  if (p == "none") detail += "; monitoring only";
  return ok(detail);
}

Judgement judgeMx(const RequiredRecord& record, DnsLookup& lookup) {
  const auto answer = lookup.query(record.name, RecordType::Mx);
  if (answer.status == LookupAnswer::Status::Failed) return {Verdict::Unknown, answer.error};
  if (answer.values.empty()) return missing("no MX record: bounces and unsubscribe mail cannot come back");
  std::vector<std::string> targets;
  for (const auto& value : answer.values) {
    const auto space = value.find(' ');
    const std::string target = space == std::string::npos ? value : value.substr(space + 1);
    if (target.empty() || target == ".") return wrong("null MX: the domain refuses all mail, bounces included");
    const auto a = lookup.query(target, RecordType::A);
    const auto aaaa = lookup.query(target, RecordType::Aaaa);
    if (a.status == LookupAnswer::Status::Failed && aaaa.status == LookupAnswer::Status::Failed) return {Verdict::Unknown, a.error};
    if (a.values.empty() && aaaa.values.empty()) return wrong(fmt::format("MX target {} has no address", target));
    targets.push_back(target);
  }
  return ok(fmt::format("to {}", fmt::join(targets, ", ")));
}

Judgement judgeHost(const RequiredRecord& record, DnsLookup& lookup) {
  const auto a = lookup.query(record.name, RecordType::A);
  const auto aaaa = lookup.query(record.name, RecordType::Aaaa);
  if (a.status == LookupAnswer::Status::Failed && aaaa.status == LookupAnswer::Status::Failed) return {Verdict::Unknown, a.error};
  std::vector<std::string> addresses = a.values;
  addresses.insert(addresses.end(), aaaa.values.begin(), aaaa.values.end());
  if (addresses.empty()) return missing("no address: every tracked link and open pixel fails");
  return ok(fmt::format("at {}", fmt::join(addresses, ", ")));
}

// MTA-STS (RFC 8461) and TLS-RPT (RFC 8460): optional, but when published they must parse.
Judgement judgeOptionalTxt(const RequiredRecord& record, DnsLookup& lookup, std::string_view version,
                           std::string_view required_tag) {
  auto found = txtStartingWith(lookup, record.name, toLower(std::string(version)));
  if (auto* judgement = std::get_if<Judgement>(&found))
    return judgement->verdict == Verdict::Missing ? missing("optional, not published") : *judgement;
  const auto& records = std::get<std::vector<std::string>>(found);
  if (records.size() > 1) return wrong(fmt::format("{} records: receivers ignore them all", records.size()));
  const auto tags = parseTags(records[0]);
  if (tagValue(tags, required_tag).empty()) return wrong(fmt::format("no {}= tag", required_tag));
  return ok();
}

}  // namespace

Judgement judge(const RequiredRecord& record, const MailSetup& setup, DnsLookup& lookup) {
  switch (record.kind) {
    case RecordKind::Dkim: return judgeDkim(record, lookup);
    case RecordKind::Spf: return judgeSpf(record, setup, lookup);
    case RecordKind::Dmarc: return judgeDmarc(record, setup, lookup);
    case RecordKind::BounceMx: return judgeMx(record, lookup);
    case RecordKind::TrackingHost: return judgeHost(record, lookup);
    case RecordKind::MtaSts: return judgeOptionalTxt(record, lookup, "v=STSv1", "id");
    case RecordKind::TlsRpt: return judgeOptionalTxt(record, lookup, "v=TLSRPTv1", "rua");
  }
  return {Verdict::Unknown, "unknown record kind"};
}

}  // namespace waybill::dns
