// CorpusScoring implementation. A row the decoder did not produce (fewer results than expected)
// counts as wrong in every column, so a reader that drops recipients cannot score well.
#include "corpus_scoring.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "dsn/bounce_reader.h"
#include "dsn/mime_lite.h"

namespace waybill::dsn::testing {
namespace {

namespace fs = std::filesystem;

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

void scoreRow(const std::string& name, std::size_t index, const ExpectedRow& e, const RecipientResult* g,
              CorpusScore& s) {
  RecipientResult missing;
  missing.reason = "(no result)";
  const RecipientResult& got = g != nullptr ? *g : missing;
  bool reason = g != nullptr && e.reason == got.reason;
  bool hard = g != nullptr && (e.hard == "true") == got.hard_bounce;
  bool reply = g != nullptr && e.reply_code == got.reply_code;
  s.reason.add(reason);
  s.hard_soft.add(hard);
  s.reply_code.add(reply);
  bool status = true;
  if (!e.status.empty() && !isPseudoStatus(e.status)) {
    status = g != nullptr && e.status == got.status;
    s.status.add(status);
  }
  if (!reason) ++s.confusion[{e.reason, got.reason}];
  if (reason && hard && reply && status) return;
  std::ostringstream line;
  line << name << "#" << index + 1 << " want " << e.status << "/" << e.reply_code << "/" << e.reason << "/" << e.hard
       << " got " << got.status << "/" << got.reply_code << "/" << got.reason << "/"
       << (got.hard_bounce ? "true" : "false") << " | " << got.diagnostic.substr(0, 160);
  std::string text = line.str();
  std::replace(text.begin(), text.end(), '\n', ' ');
  s.disagreements.push_back(text);
}

}  // namespace

fs::path corpusRoot() {
  const char* source = std::getenv("WAYBILL_SOURCE_DIR");
  return fs::path(source != nullptr ? source : ".") / "tests" / "corpora";
}

Collection loadCollection(const fs::path& dir, const std::string& table) {
  Collection c;
  c.dir = dir;
  std::ifstream tsv(dir / table);
  std::string line;
  std::getline(tsv, line);  // header
  while (std::getline(tsv, line)) {
    if (line.empty()) continue;
    auto cells = splitTabs(line);
    c.expected[fs::path(cells[0]).filename().string()].push_back({cells[2], cells[3], cells[4], cells[5], cells[6]});
  }
  return c;
}

std::vector<RecipientResult> readAllResults(const fs::path& file, std::string* family_out) {
  std::vector<RecipientResult> results;
  for (const std::string& message : splitMbox(normalizeLineEndings(readFile(file)))) {
    BounceReport report = readBounce(message);
    if (family_out != nullptr && family_out->empty()) *family_out = report.mta_family.empty() ? "(unknown)" : report.mta_family;
    results.insert(results.end(), report.results.begin(), report.results.end());
  }
  return results;
}

int heldOutHalf(const std::string& basename) {
  std::uint32_t hash = 2166136261u;
  for (unsigned char c : basename) {
    hash ^= c;
    hash *= 16777619u;
  }
  return static_cast<int>(hash & 1u);
}

bool isPseudoStatus(const std::string& status) { return status.size() == 7 && status.compare(1, 4, ".0.9") == 0; }

CorpusScore scoreCollection(const Collection& collection, const std::function<bool(const std::string&)>& include) {
  CorpusScore s;
  for (const auto& [name, rows] : collection.expected) {
    if (!include(name)) continue;
    fs::path file = collection.dir / "eml" / name;
    std::string family;
    std::vector<RecipientResult> got = fs::exists(file) ? readAllResults(file, &family) : std::vector<RecipientResult>{};
    ++s.files;
    s.recipients_per_file.add(got.size() == rows.size());
    if (got.size() != rows.size()) {
      s.disagreements.push_back(name + " gives " + std::to_string(got.size()) + " results, want " +
                                std::to_string(rows.size()));
    }
    for (std::size_t i = 0; i < rows.size(); ++i) {
      scoreRow(name, i, rows[i], i < got.size() ? &got[i] : nullptr, s);
      s.reason_by_mta[family].add(i < got.size() && got[i].reason == rows[i].reason);
    }
  }
  return s;
}

void printScore(std::ostream& out, const std::string& title, const CorpusScore& s) {
  auto column = [&](const char* label, const Column& c) {
    out << "  " << std::left << std::setw(20) << label << std::right << std::fixed << std::setprecision(1)
        << std::setw(6) << c.pct() << "%  (" << c.ok << "/" << c.total << ")\n";
  };
  out << title << ": " << s.files << " files, " << s.reason.total << " expected results\n";
  column("recipients per file", s.recipients_per_file);
  column("reason", s.reason);
  column("hard/soft", s.hard_soft);
  column("reply code", s.reply_code);
  column("status (carried)", s.status);
  std::vector<std::pair<int, std::pair<std::string, std::string>>> pairs;
  for (const auto& [key, count] : s.confusion) pairs.push_back({count, key});
  std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
  if (!pairs.empty()) out << "  confusion (expected -> ours: rows)\n";
  for (const auto& [count, key] : pairs) out << "    " << key.first << " -> " << key.second << ": " << count << "\n";
  out << "  reason by reporting MTA (family: agreeing/rows)\n   ";
  for (const auto& [family, c] : s.reason_by_mta) out << " " << family << ": " << c.ok << "/" << c.total;
  out << "\n";
  if (std::getenv("WAYBILL_DSN_VERBOSE") != nullptr) {
    for (const std::string& line : s.disagreements) out << "    " << line << "\n";
  }
}

}  // namespace waybill::dsn::testing
