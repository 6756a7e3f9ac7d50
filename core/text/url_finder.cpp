#include "text/url_finder.h"

#include <algorithm>
#include <cstring>

namespace waybill::text {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool startsWithLower(std::string_view text, std::size_t at, std::string_view word) {
  if (at + word.size() > text.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i)
    if (lower(text[at + i]) != word[i]) return false;
  return true;
}

bool endsUrl(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u <= ' ' || c == '<' || c == '>' || c == '"' || u == 0x7F;
}

bool isWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

std::size_t trimTrailing(std::string_view url) {
  std::size_t length = url.size();
  while (length > 0) {
    const char c = url[length - 1];
    if (std::strchr(".,;:!?'", c) != nullptr) {
      --length;
    } else if (c == ')' || c == ']' || c == '}') {
      const char open = c == ')' ? '(' : c == ']' ? '[' : '{';
      const auto body = url.substr(0, length);
      if (std::count(body.begin(), body.end(), open) >= std::count(body.begin(), body.end(), c)) break;
      --length;
    } else {
      break;
    }
  }
  return length;
}

}  // namespace

std::vector<TextUrl> findTextUrls(std::string_view text) {
  std::vector<TextUrl> found;
  std::size_t i = 0;
  while (i < text.size()) {
    const void* hit = std::memchr(text.data() + i, ':', text.size() - i);
    if (!hit) break;
    const std::size_t colon = static_cast<std::size_t>(static_cast<const char*>(hit) - text.data());
    i = colon + 1;
    std::size_t start;
    if (colon >= 5 && startsWithLower(text, colon - 5, "https://")) start = colon - 5;
    else if (colon >= 4 && startsWithLower(text, colon - 4, "http://")) start = colon - 4;
    else continue;
    if (start > 0 && isWordChar(text[start - 1])) continue;  // "xhttp://" is not a link
    std::size_t end = colon + 3;
    while (end < text.size() && !endsUrl(text[end])) ++end;
    const std::size_t length = trimTrailing(text.substr(start, end - start));
    if (length > (colon + 3 - start)) found.push_back({start, length});
    i = end;
  }
  return found;
}

}  // namespace waybill::text
