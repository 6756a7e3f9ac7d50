#include "dns/dns_checks.h"

#include <fmt/format.h>

#include <algorithm>

#include "dkim/key_generator.h"
#include "mail/address.h"

namespace waybill::dns {
namespace {

void addUnique(std::vector<std::string>& list, const std::string& value) {
  if (!value.empty() && std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
}

std::vector<std::string> sendingDomains(const MailSetup& setup) {
  std::vector<std::string> domains;
  for (const auto& key : setup.dkim_keys) addUnique(domains, toLower(key.domain));
  for (const auto& [sending, bounce] : setup.bounce_domains) addUnique(domains, sending);
  return domains;
}

std::string spfTemplate(const MailSetup& setup) {
  std::string terms;
  for (const auto& address : setup.sending_addresses)
    terms += fmt::format("{}:{} ", address.find(':') != std::string::npos ? "ip6" : "ip4", address);
  return fmt::format("\"v=spf1 {}-all\"", terms.empty() ? "ip4:SENDING-ADDRESS " : terms);
}

void addEnvelopeRecords(std::vector<RequiredRecord>& records, const MailSetup& setup, const std::string& envelope,
                        bool is_bounce_domain) {
  records.push_back({RecordKind::Spf, envelope, "TXT", envelope, fmt::format("{}. IN TXT {}", envelope, spfTemplate(setup))});
  if (!is_bounce_domain) return;
  records.push_back({RecordKind::BounceMx, envelope, "MX", envelope,
                     fmt::format("{}. IN MX 10 {}.", envelope, setup.mail_host.empty() ? "MAIL-HOST" : setup.mail_host)});
  RequiredRecord sts{RecordKind::MtaSts, "_mta-sts." + envelope, "TXT", envelope,
                     fmt::format("_mta-sts.{}. IN TXT \"v=STSv1; id=1\"  (and https://mta-sts.{}/.well-known/mta-sts.txt)",
                                 envelope, envelope)};
  sts.optional = true;
  records.push_back(sts);
  RequiredRecord rpt{RecordKind::TlsRpt, "_smtp._tls." + envelope, "TXT", envelope,
                     fmt::format("_smtp._tls.{}. IN TXT \"v=TLSRPTv1; rua=mailto:tls-reports@{}\"", envelope, envelope)};
  rpt.optional = true;
  records.push_back(rpt);
}

}  // namespace

std::string MailSetup::bounceDomainOf(const std::string& sending_domain) const {
  if (auto it = bounce_domains.find(toLower(sending_domain)); it != bounce_domains.end()) return it->second;
  return default_bounce_domain;
}

std::string_view kindName(RecordKind kind) {
  switch (kind) {
    case RecordKind::Dkim: return "DKIM";
    case RecordKind::Spf: return "SPF";
    case RecordKind::Dmarc: return "DMARC";
    case RecordKind::BounceMx: return "bounce MX";
    case RecordKind::TrackingHost: return "tracking host";
    case RecordKind::MtaSts: return "MTA-STS";
    case RecordKind::TlsRpt: return "TLS-RPT";
  }
  return "?";
}

std::string_view verdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::Ok: return "ok";
    case Verdict::Wrong: return "WRONG";
    case Verdict::Missing: return "MISSING";
    case Verdict::Unknown: return "UNKNOWN";
  }
  return "?";
}

std::vector<RequiredRecord> requiredRecords(const MailSetup& setup, const std::string& only_domain) {
  std::vector<RequiredRecord> records;
  std::vector<std::string> envelopes;
  for (const auto& domain : sendingDomains(setup)) {
    if (!only_domain.empty() && !equalsIgnoreCase(domain, only_domain)) continue;
    for (const auto& key : setup.dkim_keys) {
      if (!equalsIgnoreCase(key.domain, domain)) continue;
      const std::string name = fmt::format("{}._domainkey.{}", key.selector, domain);
      RequiredRecord dkim{RecordKind::Dkim, name, "TXT", domain,
                          dkim::txtRecordLine(key.selector, domain, key.algorithm, key.public_base64)};
      dkim.key = &key;
      records.push_back(dkim);
    }
    records.push_back({RecordKind::Dmarc, "_dmarc." + domain, "TXT", domain,
                       fmt::format("_dmarc.{}. IN TXT \"v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@{}\"", domain, domain)});
    const std::string bounce = setup.bounceDomainOf(domain);
    if (std::find(envelopes.begin(), envelopes.end(), bounce.empty() ? domain : bounce) != envelopes.end()) continue;
    envelopes.push_back(bounce.empty() ? domain : bounce);
    addEnvelopeRecords(records, setup, envelopes.back(), !bounce.empty());
  }
  if (!setup.tracking_host.empty())
    records.push_back({RecordKind::TrackingHost, setup.tracking_host, "A/AAAA", setup.tracking_host,
                       fmt::format("{}. IN A ADDRESS-OF-THE-TLS-PROXY-IN-FRONT-OF-WAYBILL-TRACKD", setup.tracking_host)});
  return records;
}

std::vector<std::pair<std::string, std::string>> parseTags(std::string_view record) {
  std::vector<std::pair<std::string, std::string>> tags;
  for (const auto& item : splitList(record, ';')) {
    const auto equals = item.find('=');
    if (equals == std::string::npos) {
      tags.emplace_back(toLower(item), "");
      continue;
    }
    std::string tag = item.substr(0, equals);
    std::string value = item.substr(equals + 1);
    tag.erase(tag.find_last_not_of(" \t") + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    tags.emplace_back(toLower(tag), value);
  }
  return tags;
}

}  // namespace waybill::dns
