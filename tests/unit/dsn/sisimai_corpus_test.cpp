// Acceptance 1: every bounce in ../shared/corpora/sisimai/ is read and compared with the results
// sisimai reports (expected.tsv): recipients per file, status, reply code, reason, hard/soft.
// Prints per-column agreement; WAYBILL_DSN_VERBOSE=1 also prints every disagreement.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "dsn/bounce_reader.h"
#include "dsn/mime_lite.h"

namespace waybill::dsn {
namespace {

namespace fs = std::filesystem;

struct ExpectedRow {
  std::string status, reply_code, reason, hard, feedback_type;
};

// The corpus is kept in the repository (tests/corpora/sisimai, BSD-2 with its LICENSE), so CI on
// a bare clone runs this test; WAYBILL_SHARED_DIR points at another copy.
fs::path corpusDir() {
  if (const char* shared = std::getenv("WAYBILL_SHARED_DIR")) return fs::path(shared) / "corpora" / "sisimai";
  if (const char* source = std::getenv("WAYBILL_SOURCE_DIR")) return fs::path(source) / "tests" / "corpora" / "sisimai";
  return fs::path("tests/corpora/sisimai");
}

std::vector<std::string> splitTabs(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream in(line);
  std::string cell;
  while (std::getline(in, cell, '\t')) out.push_back(cell);
  while (out.size() < 7) out.emplace_back();
  return out;
}

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// sisimai's X.0.9NN codes stand for "the message carried no status code".
bool statusAgrees(const std::string& expected, const std::string& got) {
  bool pseudo = expected.size() == 7 && expected.compare(1, 4, ".0.9") == 0;
  return pseudo ? got.empty() || got == expected.substr(0, 1) + ".0.0" : expected == got;
}

std::vector<RecipientResult> readAll(const fs::path& file) {
  std::vector<RecipientResult> results;
  for (const std::string& message : splitMbox(normalizeLineEndings(readFile(file)))) {
    BounceReport report = readBounce(message);
    results.insert(results.end(), report.results.begin(), report.results.end());
  }
  return results;
}

struct Tally {
  int files = 0, count_ok = 0, rows = 0, status_ok = 0, reply_ok = 0, reason_ok = 0, hard_ok = 0;
  double pct(int n, int d) const { return d == 0 ? 100.0 : 100.0 * n / d; }
};

TEST(SisimaiCorpus, AgreesWithExpectedResults) {
  fs::path dir = corpusDir();
  ASSERT_TRUE(fs::exists(dir / "expected.tsv")) << "sisimai corpus not found at " << dir;
  std::map<std::string, std::vector<ExpectedRow>> expected;
  std::ifstream tsv(dir / "expected.tsv");
  std::string line;
  std::getline(tsv, line);  // header
  while (std::getline(tsv, line)) {
    auto c = splitTabs(line);
    expected[fs::path(c[0]).filename().string()].push_back({c[2], c[3], c[4], c[5], c[6]});
  }
  bool verbose = std::getenv("WAYBILL_DSN_VERBOSE") != nullptr;
  Tally t;
  for (const auto& [name, rows] : expected) {
    fs::path file = dir / "eml" / name;
    if (!fs::exists(file)) {
      std::cout << "skipping missing corpus file " << name << "\n";
      continue;
    }
    std::vector<RecipientResult> got = readAll(file);
    ++t.files;
    t.rows += static_cast<int>(rows.size());
    if (got.size() == rows.size()) ++t.count_ok;
    else if (verbose) std::cout << name << ": " << got.size() << " results, expected " << rows.size() << "\n";
    for (std::size_t i = 0; i < rows.size() && i < got.size(); ++i) {
      const ExpectedRow& e = rows[i];
      const RecipientResult& g = got[i];
      bool status = statusAgrees(e.status, g.status), reply = e.reply_code == g.reply_code,
           reason = e.reason == g.reason, hard = (e.hard == "true") == g.hard_bounce;
      t.status_ok += status;
      t.reply_ok += reply;
      t.reason_ok += reason;
      t.hard_ok += hard;
      if (verbose && !(status && reply && reason && hard)) {
        std::cout << name << "#" << i + 1 << " " << g.recipient << ": want " << e.status << "/" << e.reply_code
                  << "/" << e.reason << "/" << e.hard << " got " << g.status << "/" << g.reply_code << "/"
                  << g.reason << "/" << (g.hard_bounce ? "true" : "false") << "  | "
                  << g.diagnostic.substr(0, 160) << "\n";
      }
    }
  }
  std::cout << "sisimai corpus: " << t.files << " files, " << t.rows << " expected results\n"
            << "  recipients per file " << t.pct(t.count_ok, t.files) << "%\n"
            << "  status              " << t.pct(t.status_ok, t.rows) << "%\n"
            << "  reply code          " << t.pct(t.reply_ok, t.rows) << "%\n"
            << "  reason              " << t.pct(t.reason_ok, t.rows) << "%\n"
            << "  hard/soft           " << t.pct(t.hard_ok, t.rows) << "%\n";
  EXPECT_GE(t.pct(t.count_ok, t.files), 95.0);
  EXPECT_GE(t.pct(t.status_ok, t.rows), 95.0);
  EXPECT_GE(t.pct(t.reason_ok, t.rows), 90.0);
  EXPECT_GE(t.pct(t.hard_ok, t.rows), 90.0);
}

}  // namespace
}  // namespace waybill::dsn
