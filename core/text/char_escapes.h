// Escaping by a table: each character of the table is written as its escape, every other one as
// it is. One loop for the escapers that differ only in their table (HTML's entities, the event
// spool's backslash escapes).
//
//   constexpr CharEscape kEntities[] = {{'&', "&amp;"}, {'<', "&lt;"}};
//   appendWithEscapes(out, text, kEntities);
#pragma once

#include <algorithm>
#include <span>
#include <string>
#include <string_view>

namespace waybill {

struct CharEscape {
  char plain;
  std::string_view escaped;
};

inline void appendWithEscapes(std::string& out, std::string_view text, std::span<const CharEscape> table) {
  for (const char c : text) {
    const auto escape = std::find_if(table.begin(), table.end(), [c](const CharEscape& e) { return e.plain == c; });
    if (escape == table.end()) out += c;
    else out += escape->escaped;
  }
}

}  // namespace waybill
