// The DNS records a Waybill host needs, and whether DNS has them right (`waybill dns check`).
// For each sending domain (a domain of the DKIM key table): one DKIM TXT per key, matching the
// key's public half, and DMARC; for each envelope domain (the sending domain's bounce domain,
// where VERP return paths live): SPF allowing the sending addresses, an MX that resolves (bounces
// come back there), MTA-STS and TLS-RPT optionally; the tracking host's address.
//
//   auto records = requiredRecords(setup, "");
//   for (auto& r : records) { auto j = judge(r, setup, lookup); ... }
#pragma once

#include <map>
#include <string>
#include <vector>

#include "dkim/dkim_signer.h"
#include "dns/dns_lookup.h"

namespace waybill::dns {

struct DkimPublication {
  std::string domain;
  std::string selector;
  dkim::KeyAlgorithm algorithm = dkim::KeyAlgorithm::Rsa;
  std::string public_base64;  // as dkim::publicKeyBase64 gives it
  std::string key_path;       // named in the verdict
};

// What the configuration says about the host's mail (see cli/command_dns.cpp for where from).
struct MailSetup {
  std::vector<DkimPublication> dkim_keys;
  std::map<std::string, std::string> bounce_domains;  // sending domain -> bounce domain (milter.bounce_domains)
  std::string default_bounce_domain;                  // pipe.bounce_domain
  std::string tracking_host;                          // host of tracking.base_url
  std::vector<std::string> sending_addresses;         // dns.sending_addresses: IPs mail leaves from
  std::string mail_host;                              // this host's name, for the MX line to publish
  std::string bounceDomainOf(const std::string& sending_domain) const;
};

enum class RecordKind { Dkim, Spf, Dmarc, BounceMx, TrackingHost, MtaSts, TlsRpt };

struct RequiredRecord {
  RecordKind kind;
  std::string name;     // owner name, without the final dot
  std::string type;     // TXT, MX, A/AAAA
  std::string domain;   // the sending or envelope domain it serves
  std::string publish;  // the zone-file line to publish (a template where values are the operator's)
  const DkimPublication* key = nullptr;  // Dkim: the key it must publish (points into MailSetup)
  bool optional = false;
};

std::string_view kindName(RecordKind kind);

// Every record the setup needs; only_domain (a sending domain) narrows it to that domain's.
std::vector<RequiredRecord> requiredRecords(const MailSetup& setup, const std::string& only_domain);

enum class Verdict {
  Ok,
  Wrong,     // published but not what mail needs
  Missing,   // not published (optional records: reported, not counted as a problem)
  Unknown,   // DNS gave no answer
};

std::string_view verdictName(Verdict verdict);

struct Judgement {
  Verdict verdict = Verdict::Unknown;
  std::string detail;
};

Judgement judge(const RequiredRecord& record, const MailSetup& setup, DnsLookup& lookup);

// The TXT record's tag list ("v=DKIM1; k=rsa; p=...") as ordered (tag, value) pairs, trimmed.
std::vector<std::pair<std::string, std::string>> parseTags(std::string_view record);

}  // namespace waybill::dns
