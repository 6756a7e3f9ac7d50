// The DNS judges over a table of answers: SPF evaluation (include, redirect, a, mx, CIDR, the
// lookup limit), DKIM key matching, DMARC syntax and alignment, MX and host records.
#include <gtest/gtest.h>

#include <initializer_list>
#include <map>
#include <string>

#include "dns/dns_checks.h"
#include "dns/spf_evaluator.h"

namespace waybill::dns {
namespace {

class TableLookup : public DnsLookup {
 public:
  std::map<std::pair<std::string, RecordType>, std::vector<std::string>> records;
  std::vector<std::string> failing;  // names whose every query fails
  int queries = 0;

  LookupAnswer query(std::string_view name, RecordType type) override {
    ++queries;
    for (const auto& f : failing)
      if (f == name) return {LookupAnswer::Status::Failed, {}, "timed out"};
    auto it = records.find({std::string(name), type});
    if (it == records.end()) return {LookupAnswer::Status::NoRecords, {}, ""};
    return {LookupAnswer::Status::Found, it->second, ""};
  }
};

SpfResult::Verdict spf(TableLookup& dns, const std::string& domain, const std::string& address) {
  return SpfEvaluator(dns).check(domain, address).verdict;
}

TEST(SpfEvaluator, FollowsMechanismsInOrder) {
  TableLookup dns;
  dns.records[{"b.example", RecordType::Txt}] = {"other text", "v=spf1 ip4:192.0.2.0/24 include:i.example a:h.example/30 mx -all"};
  dns.records[{"i.example", RecordType::Txt}] = {"v=spf1 ip6:2001:db8::/32 ?all"};
  dns.records[{"h.example", RecordType::A}] = {"198.51.100.1"};
  dns.records[{"b.example", RecordType::Mx}] = {"10 mx.example"};
  dns.records[{"mx.example", RecordType::A}] = {"203.0.113.5"};
  using V = SpfResult::Verdict;
  EXPECT_EQ(spf(dns, "b.example", "192.0.2.200"), V::Pass);
  EXPECT_EQ(spf(dns, "b.example", "2001:db8::1"), V::Pass);
  EXPECT_EQ(spf(dns, "b.example", "198.51.100.3"), V::Pass);   // in a:h/30
  // An include matches only when the included policy passes: its ?all is not the answer.
  EXPECT_EQ(spf(dns, "b.example", "198.51.100.4"), V::Fail);
  EXPECT_EQ(spf(dns, "b.example", "203.0.113.5"), V::Pass);  // mx decides
  EXPECT_EQ(spf(dns, "b.example", "203.0.113.6"), V::Fail);
  EXPECT_EQ(spf(dns, "i.example", "203.0.113.6"), V::Neutral);
}

TEST(SpfEvaluator, RedirectMissingRecordsLimitsAndFailures) {
  TableLookup dns;
  using V = SpfResult::Verdict;
  dns.records[{"r.example", RecordType::Txt}] = {"v=spf1 redirect=t.example"};
  dns.records[{"t.example", RecordType::Txt}] = {"v=spf1 ip4:192.0.2.1 ~all"};
  EXPECT_EQ(spf(dns, "r.example", "192.0.2.1"), V::Pass);
  EXPECT_EQ(spf(dns, "r.example", "192.0.2.2"), V::SoftFail);
  EXPECT_EQ(spf(dns, "none.example", "192.0.2.1"), V::None);
  dns.records[{"two.example", RecordType::Txt}] = {"v=spf1 -all", "v=spf1 +all"};
  EXPECT_EQ(spf(dns, "two.example", "192.0.2.1"), V::PermError);
  dns.records[{"loop.example", RecordType::Txt}] = {"v=spf1 include:loop.example -all"};
  EXPECT_EQ(spf(dns, "loop.example", "192.0.2.1"), V::PermError);
  EXPECT_LE(dns.queries, 40);
  dns.records[{"x.example", RecordType::Txt}] = {"v=spf1 exists:%{i}.x.example -all"};
  EXPECT_EQ(spf(dns, "x.example", "192.0.2.1"), V::Undecided);
  dns.records[{"f.example", RecordType::Txt}] = {"v=spf1 include:down.example -all"};
  dns.failing = {"down.example"};
  EXPECT_EQ(spf(dns, "f.example", "192.0.2.1"), V::TempError);
  dns.records[{"bad.example", RecordType::Txt}] = {"v=spf1 ip4:300.1.1.1 -all"};
  EXPECT_EQ(spf(dns, "bad.example", "192.0.2.1"), V::PermError);
}

MailSetup setupWithKey() {
  MailSetup setup;
  setup.dkim_keys.push_back({"a.example", "s1", dkim::KeyAlgorithm::Ed25519, "PUBKEY", "/k/s1.key"});
  setup.bounce_domains["a.example"] = "bounces.a.example";
  setup.tracking_host = "t.a.example";
  setup.sending_addresses = {"192.0.2.1"};
  return setup;
}

Judgement judgeKind(const MailSetup& setup, TableLookup& dns, RecordKind kind) {
  for (const auto& record : requiredRecords(setup, ""))
    if (record.kind == kind) return judge(record, setup, dns);
  ADD_FAILURE() << "no record of kind " << kindName(kind);
  return {};
}

TEST(DnsChecks, PlansEveryRecordOfASendingDomain) {
  const auto setup = setupWithKey();
  std::vector<std::string> names;
  for (const auto& r : requiredRecords(setup, "")) names.push_back(std::string(kindName(r.kind)) + " " + r.name);
  EXPECT_EQ(names, (std::vector<std::string>{"DKIM s1._domainkey.a.example", "DMARC _dmarc.a.example",
                                             "SPF bounces.a.example", "bounce MX bounces.a.example",
                                             "MTA-STS _mta-sts.bounces.a.example", "TLS-RPT _smtp._tls.bounces.a.example",
                                             "tracking host t.a.example"}));
  EXPECT_EQ(requiredRecords(setup, "other.example").size(), 1u);  // the tracking host only
}

// Where a kind of record is published: a TXT record at `name`.
struct TxtAt {
  std::string name;
  RecordKind kind;
};

// Publishes each record in turn as the only TXT record there; each must get `verdict`.
void expectVerdict(const MailSetup& setup, TableLookup& dns, const TxtAt& at, Verdict verdict,
                   std::initializer_list<const char*> records) {
  for (const char* record : records) {
    dns.records[{at.name, RecordType::Txt}] = {record};
    EXPECT_EQ(judgeKind(setup, dns, at.kind).verdict, verdict) << record;
  }
}

TEST(DnsChecks, DkimMustPublishTheConfiguredKey) {
  auto setup = setupWithKey();
  TableLookup dns;
  EXPECT_EQ(judgeKind(setup, dns, RecordKind::Dkim).verdict, Verdict::Missing);
  const TxtAt key{"s1._domainkey.a.example", RecordKind::Dkim};
  expectVerdict(setup, dns, key, Verdict::Ok, {"v=DKIM1; k=ed25519; p=PUBKEY", "k=ed25519; p=PUB KEY"});
  expectVerdict(setup, dns, key, Verdict::Wrong,
                {"v=DKIM1; k=rsa; p=PUBKEY", "v=DKIM1; p=PUBKEY" /* k defaults to rsa */, "v=DKIM1; k=ed25519; p=OTHER",
                 "v=DKIM1; k=ed25519; p=", "k=ed25519; v=DKIM1; p=PUBKEY", "garbage"});
}

TEST(DnsChecks, DmarcSyntaxAndAlignment) {
  auto setup = setupWithKey();
  TableLookup dns;
  const TxtAt policy{"_dmarc.a.example", RecordKind::Dmarc};
  expectVerdict(setup, dns, policy, Verdict::Ok, {"v=DMARC1; p=reject", "v=DMARC1;p=none;aspf=s"});
  expectVerdict(setup, dns, policy, Verdict::Wrong,
                {"v=DMARC1; p=maybe", "v=DMARC1; rua=mailto:x@a.example", "v=DMARC1; p=reject; adkim=x"});
  expectVerdict(setup, dns, policy, Verdict::Missing, {"p=reject; v=DMARC1"});
  dns.records[{"_dmarc.a.example", RecordType::Txt}] = {"v=DMARC1; p=reject; aspf=s"};
  EXPECT_NE(judgeKind(setup, dns, RecordKind::Dmarc).detail.find("SPF does not align"), std::string::npos);
  dns.records[{"_dmarc.a.example", RecordType::Txt}] = {"v=DMARC1; p=reject"};
  EXPECT_EQ(judgeKind(setup, dns, RecordKind::Dmarc).detail, "p=reject");  // relaxed: bounces.a.example aligns
}

TEST(DnsChecks, SpfMxAndHost) {
  auto setup = setupWithKey();
  TableLookup dns;
  EXPECT_EQ(judgeKind(setup, dns, RecordKind::Spf).verdict, Verdict::Missing);
  dns.records[{"bounces.a.example", RecordType::Txt}] = {"v=spf1 +all"};
  EXPECT_EQ(judgeKind(setup, dns, RecordKind::Spf).verdict, Verdict::Wrong);
  dns.records[{"bounces.a.example", RecordType::Txt}] = {"v=spf1 ip4:192.0.2.0/24 -all"};
  EXPECT_EQ(judgeKind(setup, dns, RecordKind::Spf).verdict, Verdict::Ok);
  setup.sending_addresses = {"198.51.100.1"};
  EXPECT_EQ(judgeKind(setup, dns, RecordKind::Spf).verdict, Verdict::Wrong);
  dns.records[{"bounces.a.example", RecordType::Txt}] = {"v=spf1 exists:%{i}.spf.a.example -all"};
  EXPECT_EQ(judgeKind(setup, dns, RecordKind::Spf).verdict, Verdict::Unknown);  // not evaluated, not wrong
  dns.records[{"bounces.a.example", RecordType::Txt}] = {"v=spf1 ip4:192.0.2.0/24 -all"};

  EXPECT_EQ(judgeKind(setup, dns, RecordKind::BounceMx).verdict, Verdict::Missing);
  dns.records[{"bounces.a.example", RecordType::Mx}] = {"10 mx.a.example"};
  EXPECT_EQ(judgeKind(setup, dns, RecordKind::BounceMx).verdict, Verdict::Wrong);
  dns.records[{"mx.a.example", RecordType::Aaaa}] = {"2001:db8::25"};
  EXPECT_EQ(judgeKind(setup, dns, RecordKind::BounceMx).verdict, Verdict::Ok);
  dns.records[{"bounces.a.example", RecordType::Mx}] = {"0 ."};
  EXPECT_EQ(judgeKind(setup, dns, RecordKind::BounceMx).verdict, Verdict::Wrong);

  EXPECT_EQ(judgeKind(setup, dns, RecordKind::TrackingHost).verdict, Verdict::Missing);
  dns.failing = {"t.a.example"};
  EXPECT_EQ(judgeKind(setup, dns, RecordKind::TrackingHost).verdict, Verdict::Unknown);
  dns.failing.clear();
  dns.records[{"t.a.example", RecordType::A}] = {"192.0.2.80"};
  EXPECT_EQ(judgeKind(setup, dns, RecordKind::TrackingHost).verdict, Verdict::Ok);
}

TEST(DnsLookup, ServerAddresses) {
  EXPECT_EQ(*parseServerAddress("127.0.0.1"), (std::pair<std::string, int>{"127.0.0.1", 53}));
  EXPECT_EQ(*parseServerAddress("127.0.0.1:5353"), (std::pair<std::string, int>{"127.0.0.1", 5353}));
  for (const char* bad : {"", "localhost", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:53x", "::1"})
    EXPECT_FALSE(parseServerAddress(bad)) << bad;
}

}  // namespace
}  // namespace waybill::dns
