#include "api/query_string.h"

#include "util/hex_digit.h"

namespace waybill::api {
namespace {

Result<std::string> decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%') {
      const bool complete = i + 2 < text.size();
      const int high = complete ? hexDigitValue(text[i + 1]) : -1;
      const int low = complete ? hexDigitValue(text[i + 2]) : -1;
      if (high < 0 || low < 0) return makeError("malformed percent escape");
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

Result<std::map<std::string, std::string>> parseQueryString(std::string_view query) {
  std::map<std::string, std::string> parameters;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t equals = pair.find('=');
    auto name = decode(pair.substr(0, equals));
    if (!name) return makeError("query parameter '" + std::string(pair.substr(0, equals)) + "': " + name.error());
    auto value = decode(equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1));
    if (!value) return makeError("query parameter '" + *name + "': " + value.error());
    parameters[*name] = *value;
  }
  return parameters;
}

}  // namespace waybill::api
