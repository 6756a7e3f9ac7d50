// CorpusScoring: reads a bounce collection (eml/ + expected.tsv, one row per recipient result, in
// the layout of tests/corpora/sisimai) and scores Waybill's results against it per column, with a
// per-reason confusion table. Shared by the corpus tests so every collection is scored alike.
//
//   Collection c = loadCollection(corpusRoot() / "sisimai");
//   CorpusScore s = scoreCollection(c, [](const std::string& f) { return heldOutHalf(f) == 0; });
//   printScore(std::cout, "sisimai tuning half", s);
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "dsn/bounce_report.h"

namespace waybill::dsn::testing {

struct ExpectedRow {
  std::string status, reply_code, reason, hard, feedback_type;
};

struct Collection {
  std::filesystem::path dir;
  std::map<std::string, std::vector<ExpectedRow>> expected;  // file basename -> rows in order
};

struct Column {
  int ok = 0, total = 0;
  void add(bool agrees) { ok += agrees; ++total; }
  double pct() const { return total == 0 ? 100.0 : 100.0 * ok / total; }
};

struct CorpusScore {
  int files = 0;
  Column recipients_per_file, reason, hard_soft, reply_code, status;
  std::map<std::pair<std::string, std::string>, int> confusion;  // (expected, ours) -> rows, disagreements only
  std::map<std::string, Column> reason_by_mta;                    // reporting MTA family -> reason agreement
  std::vector<std::string> disagreements;                         // one line per wrong row
};

// tests/corpora under WAYBILL_SOURCE_DIR (or the working directory).
std::filesystem::path corpusRoot();
// Reads dir/eml and dir/<table> (expected.tsv: sisimai's answers; a tuning collection also has
// expected-v5.tsv, go-sisimai's answers on the same files).
Collection loadCollection(const std::filesystem::path& dir, const std::string& table = "expected.tsv");
// Every result of every message in the file (mbox files may hold several messages).
// family_out (optional) receives the reporting MTA family of the first message.
std::vector<RecipientResult> readAllResults(const std::filesystem::path& file, std::string* family_out = nullptr);

// The fixed split of a collection: FNV-1a (32 bit, offset 2166136261, prime 16777619) over the
// bytes of the file's basename, low bit. Half 0 is the tuning half, half 1 the check half.
int heldOutHalf(const std::string& basename);

// sisimai's X.0.9NN codes stand for "the message carried no enhanced status code".
bool isPseudoStatus(const std::string& status);

CorpusScore scoreCollection(const Collection& collection, const std::function<bool(const std::string&)>& include);
void printScore(std::ostream& out, const std::string& title, const CorpusScore& score);

}  // namespace waybill::dsn::testing
