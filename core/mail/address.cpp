#include "mail/address.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include "util/utc_time.h"
#include "util/uuid.h"

namespace waybill {

std::string stripAngles(std::string_view address) {
  address = trimBlanks(address);
  if (address.size() >= 2 && address.front() == '<' && address.back() == '>') address = address.substr(1, address.size() - 2);
  return std::string(trimBlanks(address));
}

std::string domainOf(std::string_view address) {
  const std::string bare = stripAngles(address);
  const auto at = bare.rfind('@');
  return at == std::string::npos ? std::string() : toLower(std::string_view(bare).substr(at + 1));
}

std::string firstAddressInHeader(std::string_view value) {
  // Skip quoted display names and comments; prefer the angle-addr when present.
  std::string unquoted;
  bool in_quotes = false;
  int comment_depth = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (in_quotes) {
      if (c == '\\') ++i;
      else if (c == '"') in_quotes = false;
      continue;
    }
    if (comment_depth > 0) {
      if (c == '(') ++comment_depth;
      else if (c == ')') --comment_depth;
      continue;
    }
    if (c == '"') in_quotes = true;
    else if (c == '(') comment_depth = 1;
    else unquoted.push_back(c);
  }
  if (auto open = unquoted.find('<'); open != std::string::npos) {
    const auto close = unquoted.find('>', open);
    return std::string(trimBlanks(std::string_view(unquoted).substr(open + 1, close == std::string::npos ? std::string::npos : close - open - 1)));
  }
  const auto first = splitList(unquoted);
  return first.empty() ? std::string() : first.front();
}

std::string makeMessageId(std::string_view domain) {
  std::string id = Uuid::random().toString();
  id.erase(std::remove(id.begin(), id.end(), '-'), id.end());
  return fmt::format("<{}.waybill@{}>", id, domain.empty() ? "localhost" : domain);
}

std::string formatRfc5322Date(std::chrono::system_clock::time_point when) {
  return formatUtcTime(std::chrono::system_clock::to_time_t(when), kRfc5322Utc);
}

}  // namespace waybill
