// NameTable: the names of one enum's values, stated once and used both ways: text -> value when
// reading configuration or rows, value -> text when writing them, and the "one of a, b, c" list
// of the error for a name that is not in it.
//
//   constexpr NameTable<Scope, 3> kScopeNames{{{{Scope::Sender, "sender"}, {Scope::Domain, "domain"},
//                                               {Scope::Global, "global"}}}, "global"};
//   Result<Scope> scope = kScopeNames.parse("domain");   // or "'x' is not one of sender, domain, global"
//   const char* name = kScopeNames.nameOf(Scope::Sender);
#pragma once

#include <fmt/format.h>

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "util/result.h"

namespace waybill {

template <typename Enum, std::size_t N>
class NameTable {
 public:
  using Entries = std::array<std::pair<Enum, const char*>, N>;

  // `fallback`: the name of a value missing from the table (a value no enumerator has).
  constexpr NameTable(Entries entries, const char* fallback) : entries_(entries), fallback_(fallback) {}

  std::optional<Enum> find(std::string_view text) const {
    for (const auto& [value, name] : entries_)
      if (text == name) return value;
    return std::nullopt;
  }

  Result<Enum> parse(std::string_view text) const {
    if (auto value = find(text)) return *value;
    return makeError(fmt::format("'{}' is not one of {}", text, choices()));
  }

  const char* nameOf(Enum value) const {
    for (const auto& [candidate, name] : entries_)
      if (candidate == value) return name;
    return fallback_;
  }

  // "a, b, c", in table order.
  std::string choices() const {
    std::string out;
    for (const auto& entry : entries_) {
      if (!out.empty()) out += ", ";
      out += entry.second;
    }
    return out;
  }

 private:
  Entries entries_;
  const char* fallback_;
};

}  // namespace waybill
