// Small ASCII text helpers shared by every parser and daemon: case folding, case-insensitive
// comparison and comma (or other separator) lists. Bytes outside A-Z pass through unchanged, so
// UTF-8 stays intact and results do not depend on the process locale.
//
//   if (equalsIgnoreCase(name, "Content-Type")) ...
//   for (const auto& domain : splitList(" a.com, b.com ,,")) ...   // {"a.com", "b.com"}
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace waybill {

char toLowerAscii(char c);
std::string toLower(std::string_view text);
bool equalsIgnoreCase(std::string_view a, std::string_view b);
// Leading and trailing blanks (space, tab, CR, LF, VT, FF) removed.
std::string_view trimBlanks(std::string_view text);
// "a, b ,,c" -> {"a","b","c"}: items trimmed, empty ones dropped.
std::vector<std::string> splitList(std::string_view text, char separator = ',');

}  // namespace waybill
