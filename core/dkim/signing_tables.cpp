#include "dkim/signing_tables.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "mail/address.h"

namespace waybill::dkim {
namespace {

Result<std::string> readFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return makeError(fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Splits a table line into whitespace-separated fields, dropping '#' comments.
std::vector<std::string> fieldsOf(std::string line) {
  if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
  std::istringstream in(line);
  std::vector<std::string> fields;
  for (std::string field; in >> field;) fields.push_back(field);
  return fields;
}

// Calls `line_fields(number, fields)` for each line that has fields; stops at its first error,
// which is prefixed with the line number.
template <typename Visit>
Status forEachTableLine(const std::string& text, Visit line_fields) {
  std::istringstream in(text);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const auto fields = fieldsOf(line);
    if (fields.empty()) continue;
    if (auto done = line_fields(fields); !done) return makeError(fmt::format("line {}: {}", number, done.error()));
  }
  return {};
}

// Reads the file and parses it; a parse error names the file.
template <typename Table>
Result<Table> loadTable(const std::string& path) {
  auto text = readFile(path);
  if (!text) return makeError(text.error());
  auto table = Table::parse(*text);
  if (!table) return makeError(fmt::format("'{}' {}", path, table.error()));
  return table;
}

}  // namespace

bool wildcardMatch(std::string_view pattern, std::string_view text) {
  // Iterative glob with backtracking to the last '*': linear in practice, no recursion.
  std::size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && toLowerAscii(pattern[p]) == toLowerAscii(text[t])) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

Result<KeyTable> KeyTable::parse(const std::string& text) {
  KeyTable table;
  auto read = forEachTableLine(text, [&](const std::vector<std::string>& fields) -> Status {
    if (fields.size() != 2) return makeError("expected 'NAME DOMAIN:SELECTOR:KEYFILE'");
    const std::string& spec = fields[1];
    const auto first = spec.find(':');
    const auto second = first == std::string::npos ? first : spec.find(':', first + 1);
    if (second == std::string::npos || first == 0 || second == first + 1 || second + 1 == spec.size())
      return makeError(fmt::format("'{}' is not DOMAIN:SELECTOR:KEYFILE", spec));
    if (table.find(fields[0])) return makeError(fmt::format("key name '{}' repeated", fields[0]));
    table.entries_.push_back({fields[0], toLower(spec.substr(0, first)), spec.substr(first + 1, second - first - 1),
                              spec.substr(second + 1)});
    return {};
  });
  if (!read) return makeError(read.error());
  return table;
}

Result<KeyTable> KeyTable::load(const std::string& path) { return loadTable<KeyTable>(path); }

const KeyEntry* KeyTable::find(const std::string& name) const {
  for (const auto& entry : entries_)
    if (entry.name == name) return &entry;
  return nullptr;
}

Result<SigningTable> SigningTable::parse(const std::string& text) {
  SigningTable table;
  auto read = forEachTableLine(text, [&](const std::vector<std::string>& fields) -> Status {
    if (fields.size() != 2) return makeError("expected 'PATTERN KEYNAME'");
    table.rules_.push_back({toLower(fields[0]), fields[1]});
    return {};
  });
  if (!read) return makeError(read.error());
  return table;
}

Result<SigningTable> SigningTable::load(const std::string& path) { return loadTable<SigningTable>(path); }

std::vector<std::string> SigningTable::namesFor(const std::string& address) const {
  std::vector<std::string> names;
  for (const auto& rule : rules_) {
    if (!wildcardMatch(rule.pattern, address)) continue;
    if (std::find(names.begin(), names.end(), rule.name) == names.end()) names.push_back(rule.name);
  }
  return names;
}

}  // namespace waybill::dkim
