// Bounce classification scored against independent decoders, with a held-out discipline:
// - tests/corpora/sisimai (results from go-sisimai) is split in two fixed halves by FNV-1a of the
//   file name (corpus_scoring.h). Rules are tuned on half 0 only; half 1 checks that they hold.
//   Both halves must reach the same targets and stay within three points of each other.
// - tests/corpora/bounceparser and php-bounce-handler (bounces from other projects, results from
//   Debian's libsisimai-perl 4.25 via scripts/sisimai-expected.pl) are never tuned on.
// - tests/corpora/flufl-bounce, bounce-email, flanker, email-bounce-parser, ruby-mail, spamassassin,
//   dada-mail, node-baunsu, mailman2, exim-testsuite and misc-projects (the same kind, from thirteen
//   more projects) are further tuning data, with half 0: rules come from their failures and half
//   0's only. Each is scored twice: against go-sisimai (expected-v5.tsv, the
//   decoder half 1 is judged by; the first opinion) and against sisimai 4.25 (expected.tsv).
// Each test prints per-column agreement and the confusion table (expected -> ours);
// WAYBILL_DSN_VERBOSE=1 also prints every disagreeing row.
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <iostream>
#include <string>

#include "corpus_scoring.h"
#include "dsn/bounce_classifier.h"

namespace waybill::dsn::testing {
namespace {

namespace fs = std::filesystem;

struct Targets {
  double reason, hard_soft, reply_code, status;
  double recipients_per_file;  // files whose result count agrees
};

// Identical for both halves. The goal is reason 95, hard/soft 97, reply code 97, status 97 on
// each half, within 3 points of each other. Reached: half 0 (tuning) 100 / 100 / 100 / 100,
// half 1 (check) 92.6 / 98.5 / 100 / 100 at first. The thresholds sit just below, so a regression fails.
// Half 1 was short of the goal: the rules added from sisimai's tables lifted half 0 by 4.2 points
// and half 1 by 2.9, then the decoder-order rules (MTA verdict first, local delivery agents,
// writers known by their headers) lifted half 0 by 1.8 and left half 1 where it was; the rules
// tuned on flufl-bounce and bounce-email (layouts of iMail, qmail-remote, Gmail, "SMTP:RCPT host")
// lifted half 1 by 0.7. The layout rules added after them (Smail, qmail's QSBMF, X.400 gateways,
// Postfix's bounce template, LSMTP rules of dashes) left both halves where they were, as did the
// reply-code rules added with flanker (a failure's reply code is a 4yz/5yz one; NTMail's reply
// code in the Status field). Then, with email-bounce-parser and ruby-mail, and go-sisimai's own
// tables and layouts compared on constructed reports: half 1 93.4 / 98.5 / 100 / 100 (the Notes,
// fml and MailFoundry layouts; replies squeezed and read across "550-" continuation lines; generic
// phrases that neither sisimai decoder has narrowed to the wording theirs do). Then, with the
// tuning collections scored against go-sisimai too (expected-v5.tsv) and its tables compared on
// constructed reports: half 1 95.6 / 98.5 / 100 / 100 (4.3.0 names no reason; a connection limit is
// toomanyconn though it says "rate limit"; "blocked" beside a policy's words is the policy's).
// Then, with more of go-sisimai's writers and provider tables (KDDI's X-SPASIGN, Exim's delay
// wording, qmail-ldap, Exchange 2000/2003, DOCOMO, MessageLabs, Spectrum): 96.3 / 98.5 / 100 / 100.
// Then, with four more tuning collections and go-sisimai's phrase and provider tables compared on
// constructed Postfix and Exim reports (each table entry at RCPT and at end of DATA, from a
// provider's host, for a provider's domain and written by a provider's own server): 97.1 / 98.5 /
// 100 / 100 (a provider's rules apply to the reports its own servers write).
constexpr Targets kSisimaiHalfTargets{97.0, 98.0, 99.0, 99.0, 97.0};
constexpr double kMaxHalfGapPoints = 3.0;
// Held-out collections (never tuned on): what the rules reach, minus a small margin.
// Reached: bounceparser 92.7 / 99.2 / 99.2 / 97.3, php-bounce-handler 98.7 / 100 / 96.1 / 100 (96.1
// reason before Hotmail's own complaint format was read, a rule drawn from dada-mail)
// (before the go-sisimai table comparison: 89.4 / 99.2 / 99.2 / 97.3 and 92.2 / 97.4 / 96.1 / 100).
constexpr Targets kBounceParserTargets{92.0, 98.5, 98.0, 96.0, 97.0};
constexpr Targets kPhpBounceHandlerTargets{98.0, 99.0, 95.0, 99.0, 97.0};
// Further tuning collections (bounces from other projects; tuned on, like half 0). Their rows are
// sisimai 4.25 (Perl), like the held-out ones: a tuning set judged by the same decoder as those.
// Reached when added: flufl-bounce 72.6 / 90.6 / 91.5 / 91.7, bounce-email 62.2 / 83.8 / 91.9 /
// 91.7, flanker 87.5 / 87.5 / 87.5 / 100 (8 rows: one row is 12.5 points); now flufl-bounce
// 90.6 / 96.6 / 95.7 / 95.8, bounce-email 73.0 / 94.6 / 94.6 / 95.8, flanker 87.5 / 87.5 / 87.5 /
// 100 (its two rows left: Gmail quoting "550 5.1.0 Recipient rejected", which 4.25 leaves onhold
// and go-sisimai's tables read as userunknown; "smtp; 426 ...", a code go-sisimai's reply list
// rejects and 4.25 keeps, as half 0 shows with "522"). Most
// rows left are where sisimai 4.25's catch-all decoders (X2, X4, RFC3464) read a notice differently
// from its MTA-specific ones, or from go-sisimai's tables that half 0 follows (4.25 does not
// re-check a decoder's "expired", has no "diskspace quota" or Yahoo "doesn't have a yahoo.com
// account" wording).
// Then flufl-bounce 93.2 / 98.3 / 95.7 / 95.8 and bounce-email 75.7 / 97.3 / 94.6 / 95.8 (a Yahoo
// "doesn't have a yahoo.com account" is a filter's answer after DATA for both sisimai decoders).
// Tuned on go-sisimai's answers since (kFluflBounceV5Targets below), flufl-bounce fell to 90.6 /
// 98.3 / 95.7 / 95.8 here: 4.25 reads a delivery command's output as mailererror and iMail's bare
// "undeliverable to" line as undefined, go-sisimai as systemerror and onhold.
constexpr Targets kFluflBounceTargets{90.0, 98.0, 95.0, 95.0, 97.0};
constexpr Targets kBounceEmailTargets{75.0, 97.0, 94.0, 95.5, 97.0};
constexpr Targets kFlankerTargets{87.0, 87.0, 87.0, 99.0, 97.0};
// email-bounce-parser: 96 Postfix text notices (no delivery-status part), each quoting a different
// receiving server. Reached when added 71.9 / 95.8 / 99.0 / 100, then 82.3 / 96.9 / 99.0 / 100, now
// 83.3 / 95.8 / 99.0 / 100 (La Poste's "mailbox is inactive" is userunknown for go-sisimai, suspend
// for 4.25). Most rows left are where sisimai 4.25 and go-sisimai disagree (4.25 has no
// badreputation, speeding or authfailure; its README). ruby-mail: reached when added 87.5 / 100 /
// 100 / 100, now 100 in all.
constexpr Targets kEmailBounceParserTargets{83.0, 95.5, 98.5, 99.0, 97.0};
constexpr Targets kRubyMailTargets{99.0, 99.0, 99.0, 99.0, 97.0};
// The same five scored against go-sisimai (expected-v5.tsv: rows only where go-sisimai finds a
// bounce), the decoder half 1 is judged by. Reached when added: flufl-bounce 95.1 / 100 / 93.9 / 100,
// bounce-email 100 in all, flanker 85.7 / 100 / 100 / 100 (7 rows), email-bounce-parser 95.8 / 98.9 /
// 98.9 / 100, ruby-mail 100 in all; now flufl-bounce 98.8 / 100 / 93.9 / 100 and email-bounce-parser
// 98.9 / 100 / 98.9 / 100. Rows left: go-sisimai's generic RFC 3464 decoder reads the notice text
// with the diagnostic ("could not be delivered for 3 days" makes a 4.4.4 expired), and it ranks
// the reply codes a text quotes (550 before 554) where 4.25 and Waybill take the first; both were
// tried and fell on held-out collections.
constexpr Targets kFluflBounceV5Targets{98.0, 99.0, 93.5, 99.0, 97.0};
constexpr Targets kBounceEmailV5Targets{99.0, 99.0, 99.0, 99.0, 97.0};
constexpr Targets kFlankerV5Targets{85.0, 99.0, 99.0, 99.0, 97.0};
constexpr Targets kEmailBounceParserV5Targets{98.5, 99.0, 98.5, 99.0, 97.0};
constexpr Targets kRubyMailV5Targets{99.0, 99.0, 99.0, 99.0, 97.0};
// Four more tuning collections: spamassassin (VBounce backscatter, 2008), dada-mail, node-baunsu
// and the Mailman 2.1 test messages flufl-bounce does not hold. Reached when added, before any rule
// was drawn from them (against go-sisimai): spamassassin 93.8 / 93.8 / 100 / 100, dada-mail 93.3 /
// 100 / 100 / 90.9, node-baunsu 83.3 / 100 / 100 / 100, mailman2 100 in all; 43 of 47 reasons. Now
// 100 in all but node-baunsu's 91.7 (go-sisimai reads amavis's whole notice, which quotes a
// "Duplicate header field", as notcompliantrfc). Against sisimai 4.25: spamassassin 82.4 / 100 /
// 100 / 100 (one GWAVA notice, in Polish, names a second address; 4.25 has no vpopmail table),
// dada-mail 87.5 / 87.5 / 93.8 / 90.9, node-baunsu 84.6 / 92.3 / 100 / 100, mailman2 80.0 / 100 /
// 100 / 100.
constexpr Targets kSpamAssassinV5Targets{99.0, 99.0, 99.0, 99.0, 97.0};
constexpr Targets kSpamAssassinTargets{82.0, 99.0, 99.0, 99.0, 92.0};
constexpr Targets kDadaMailV5Targets{99.0, 99.0, 99.0, 99.0, 97.0};
constexpr Targets kDadaMailTargets{87.0, 87.0, 93.5, 90.5, 97.0};
constexpr Targets kNodeBaunsuV5Targets{91.5, 99.0, 99.0, 99.0, 97.0};
constexpr Targets kNodeBaunsuTargets{84.5, 92.0, 99.0, 99.0, 97.0};
constexpr Targets kMailman2V5Targets{99.0, 99.0, 99.0, 99.0, 97.0};
constexpr Targets kMailman2Targets{79.5, 99.0, 99.0, 99.0, 97.0};
// Two more: exim-testsuite (bounces and delay warnings Exim wrote in its own test suite) and
// misc-projects (MimeKit, MediaWiki's BounceHandler, zoonru/PHP-Bounce-Handler's own files). Reached
// when added (go-sisimai): exim-testsuite 66.7 / 100 / 100 / 100 with 75.0 of files giving go-sisimai's
// result count, misc-projects 84.2 / 94.7 / 100 / 100; now 83.3 (a list of the failed addresses is
// no diagnostic) and 89.5 (x-local is no delivery program's failure). Rows left: go-sisimai's Exim
// decoder reads pipe and file deliveries and "an undisclosed address" in the notice as results of
// their own; a Russian preface hides Exim from it; "no MXs ... could be reached" is expired for
// its generic decoder, as for flanker's.
constexpr Targets kEximTestsuiteV5Targets{83.0, 99.0, 99.0, 99.0, 74.5};
constexpr Targets kEximTestsuiteTargets{83.0, 99.0, 99.0, 99.0, 74.5};
constexpr Targets kMiscProjectsV5Targets{89.0, 94.5, 99.0, 99.0, 97.0};
constexpr Targets kMiscProjectsTargets{79.5, 94.5, 94.5, 99.0, 97.0};

Collection sisimai() {
  Collection c = loadCollection(corpusRoot() / "sisimai");
  EXPECT_FALSE(c.expected.empty()) << "sisimai corpus not found under " << corpusRoot();
  return c;
}

CorpusScore scoreHalf(int half) {
  return scoreCollection(sisimai(), [half](const std::string& name) { return heldOutHalf(name) == half; });
}

void expectTargets(const CorpusScore& s, const Targets& t) {
  EXPECT_GT(s.files, 0);
  EXPECT_GE(s.recipients_per_file.pct(), t.recipients_per_file);
  EXPECT_GE(s.reason.pct(), t.reason);
  EXPECT_GE(s.hard_soft.pct(), t.hard_soft);
  EXPECT_GE(s.reply_code.pct(), t.reply_code);
  EXPECT_GE(s.status.pct(), t.status);
}

TEST(SisimaiCorpus, TuningHalfMeetsTargets) {
  CorpusScore s = scoreHalf(0);
  printScore(std::cout, "sisimai half 0 (tuning)", s);
  expectTargets(s, kSisimaiHalfTargets);
}

TEST(SisimaiCorpus, CheckHalfMeetsTargets) {
  CorpusScore s = scoreHalf(1);
  printScore(std::cout, "sisimai half 1 (check)", s);
  expectTargets(s, kSisimaiHalfTargets);
}

TEST(SisimaiCorpus, HalvesAgreeWithinTheGap) {
  CorpusScore a = scoreHalf(0), b = scoreHalf(1);
  EXPECT_GT(a.files, 100);  // the split is roughly even
  EXPECT_GT(b.files, 100);
  EXPECT_LE(std::fabs(a.reason.pct() - b.reason.pct()), kMaxHalfGapPoints);
  EXPECT_LE(std::fabs(a.hard_soft.pct() - b.hard_soft.pct()), kMaxHalfGapPoints);
  EXPECT_LE(std::fabs(a.reply_code.pct() - b.reply_code.pct()), kMaxHalfGapPoints);
  EXPECT_LE(std::fabs(a.status.pct() - b.status.pct()), kMaxHalfGapPoints);
}

TEST(SisimaiCorpus, SplitIsTheDocumentedHash) {
  // FNV-1a 32 of "arf-12.eml" is 0x53cad538, of "lhost-postfix-01.eml" 0x5ea33e6f, of
  // "lhost-postfix-02.eml" 0x27e02e1e (fixed here: a changed hash would reshuffle the halves).
  EXPECT_EQ(heldOutHalf("arf-12.eml"), 0);
  EXPECT_EQ(heldOutHalf("lhost-postfix-01.eml"), 1);
  EXPECT_EQ(heldOutHalf("lhost-postfix-02.eml"), 0);
}

// Every file of a collection scored against one table of expected results: expected.tsv (sisimai
// 4.25, Perl) or, for a tuning collection, expected-v5.tsv (go-sisimai).
void expectCollectionMeets(const char* directory, const char* label, const Targets& targets,
                           const char* table = "expected.tsv") {
  Collection c = loadCollection(corpusRoot() / directory, table);
  ASSERT_FALSE(c.expected.empty()) << directory;
  CorpusScore s = scoreCollection(c, [](const std::string&) { return true; });
  printScore(std::cout, label, s);
  expectTargets(s, targets);
}

TEST(HeldOutCollections, BounceParserCorpusAgreesWithSisimaiPerl) {
  expectCollectionMeets("bounceparser", "bounceparser (Mail::DeliveryStatus::BounceParser corpus)",
                               kBounceParserTargets);
}

TEST(HeldOutCollections, PhpBounceHandlerCorpusAgreesWithSisimaiPerl) {
  expectCollectionMeets("php-bounce-handler", "php-bounce-handler (cfortune/PHP-Bounce-Handler corpus)",
                               kPhpBounceHandlerTargets);
}

struct TuningCollection {
  const char* directory;
  const char* label;
  Targets go_sisimai, sisimai_perl;
};

// Every tuning collection, scored against go-sisimai first (the decoder half 1 is judged by), then
// against sisimai 4.25.
const TuningCollection kTuningCollections[] = {
    {"flufl-bounce", "flufl-bounce (flufl.bounce / GNU Mailman corpus)", kFluflBounceV5Targets, kFluflBounceTargets},
    {"bounce-email", "bounce-email (Ruby bounce_email gem corpus)", kBounceEmailV5Targets, kBounceEmailTargets},
    {"flanker", "flanker (mailgun/flanker bounce fixtures)", kFlankerV5Targets, kFlankerTargets},
    {"email-bounce-parser", "email-bounce-parser (crisp-oss/email-bounce-parser Postfix notices)",
     kEmailBounceParserV5Targets, kEmailBounceParserTargets},
    {"ruby-mail", "ruby-mail (mikel/mail multipart/report fixtures)", kRubyMailV5Targets, kRubyMailTargets},
    {"spamassassin", "spamassassin (Apache SpamAssassin VBounce test messages)", kSpamAssassinV5Targets,
     kSpamAssassinTargets},
    {"dada-mail", "dada-mail (Dada Mail bounce handler corpus)", kDadaMailV5Targets, kDadaMailTargets},
    {"node-baunsu", "node-baunsu (baunsu test emails)", kNodeBaunsuV5Targets, kNodeBaunsuTargets},
    {"mailman2", "mailman2 (GNU Mailman 2.1 bounce tests not in flufl.bounce)", kMailman2V5Targets,
     kMailman2Targets},
    {"exim-testsuite", "exim-testsuite (bounces Exim wrote in its own test suite)", kEximTestsuiteV5Targets,
     kEximTestsuiteTargets},
    {"misc-projects", "misc-projects (MimeKit, MediaWiki BounceHandler, zoonru/PHP-Bounce-Handler)",
     kMiscProjectsV5Targets, kMiscProjectsTargets},
};

// Names the collection in gtest's messages instead of dumping the struct's bytes.
void PrintTo(const TuningCollection& c, std::ostream* out) { *out << c.directory; }

class TuningCollections : public ::testing::TestWithParam<TuningCollection> {};

TEST_P(TuningCollections, AgreesWithGoSisimai) {
  const TuningCollection& c = GetParam();
  expectCollectionMeets(c.directory, (std::string(c.label) + ", tuning, go-sisimai").c_str(), c.go_sisimai,
                               "expected-v5.tsv");
}

TEST_P(TuningCollections, AgreesWithSisimaiPerl) {
  const TuningCollection& c = GetParam();
  expectCollectionMeets(c.directory, (std::string(c.label) + ", tuning, sisimai 4.25").c_str(),
                               c.sisimai_perl);
}

std::string collectionTestName(const ::testing::TestParamInfo<TuningCollection>& info) {
  std::string name;
  for (const char* p = info.param.directory; *p != '\0'; ++p) {
    if (std::isalnum(static_cast<unsigned char>(*p)) != 0) name += *p;
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Corpora, TuningCollections, ::testing::ValuesIn(kTuningCollections), collectionTestName);

// Acceptance 3: `onhold` means "nothing decides"; a decisive enhanced status code always decides.
TEST(AllCorpora, NoOnholdWhereAStatusCodeDecides) {
  int results = 0, with_decisive_status = 0;
  for (const char* name : {"sisimai", "bounceparser", "php-bounce-handler", "flufl-bounce", "bounce-email",
                           "flanker", "email-bounce-parser", "ruby-mail", "spamassassin", "dada-mail", "node-baunsu",
                           "mailman2", "exim-testsuite", "misc-projects"}) {
    for (const auto& entry : fs::directory_iterator(corpusRoot() / name / "eml")) {
      for (const RecipientResult& r : readAllResults(entry.path())) {
        ++results;
        if (!isDecisiveStatus(r.status)) continue;
        ++with_decisive_status;
        EXPECT_NE(r.reason, "onhold") << entry.path().filename() << " " << r.recipient << " status " << r.status;
      }
    }
  }
  std::cout << results << " results, " << with_decisive_status << " with a decisive status code\n";
  EXPECT_GT(with_decisive_status, 150);  // the corpora carry about 180
}

}  // namespace
}  // namespace waybill::dsn::testing
