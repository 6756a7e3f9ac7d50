// The length of a text's longest line, without its line ending (CRLF or LF): for the tests and
// fuzz targets that check encoded output keeps within the line limits of RFC 5322 and 2045.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace waybill::test_support {

inline std::size_t longestLine(std::string_view text) {
  std::size_t longest = 0, start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    longest = std::max(longest, end - start - (end > start && text[end - 1] == '\r' ? 1 : 0));
    start = end + 1;
  }
  return longest;
}

}  // namespace waybill::test_support
