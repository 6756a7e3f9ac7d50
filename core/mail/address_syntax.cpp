#include "mail/address_syntax.h"

#include <idn2.h>

#include <algorithm>
#include <cctype>

#include "mail/address.h"
#include "mail/smtp_limits.h"
#include "util/utf8.h"

namespace waybill {
namespace {

constexpr std::size_t kMaxLocalPart = kMaxSmtpLocalPart;
constexpr std::size_t kMaxDomain = 253;                  // what DNS can carry of RFC 5321's 255
constexpr std::size_t kMaxMailbox = kMaxSmtpPath - 2;    // the path less its angle brackets
constexpr std::size_t kMaxLabel = 63;

bool isAtext(unsigned char c) {
  if (c >= 0x80) return true;  // RFC 6531: UTF-8 in a local part (validated as a whole)
  if (std::isalnum(c) != 0) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(static_cast<char>(c)) != std::string_view::npos;
}

Result<void> checkDotAtom(std::string_view local) {
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos)
    return makeError("the local part has a misplaced dot");
  for (unsigned char c : local)
    if (c != '.' && !isAtext(c)) return makeError("the local part has a character not allowed unquoted (space, @, quote, ...)");
  return {};
}

Result<void> checkQuoted(std::string_view local) {
  for (std::size_t i = 1; i + 1 < local.size(); ++i) {
    const auto c = static_cast<unsigned char>(local[i]);
    if (c == '\\') {
      if (++i + 1 >= local.size()) return makeError("the quoted local part ends in a backslash");
    } else if (c == '"' || c < 0x20 || c == 0x7f) {
      return makeError("the quoted local part has a character not allowed there");
    }
  }
  return {};
}

Result<void> checkLocalPart(std::string_view local) {
  if (local.empty()) return makeError("the local part (before @) is empty");
  if (local.size() > kMaxLocalPart) return makeError("the local part is longer than 64 octets");
  if (local.size() >= 2 && local.front() == '"' && local.back() == '"') return checkQuoted(local);
  return checkDotAtom(local);
}

bool isLdh(unsigned char c) { return std::isalnum(c) != 0 || c == '-'; }

Result<void> checkAsciiLabels(std::string_view domain) {
  std::size_t start = 0;
  while (start <= domain.size()) {
    const std::size_t end = std::min(domain.find('.', start), domain.size());
    const std::string_view label = domain.substr(start, end - start);
    if (label.empty()) return makeError("the domain has an empty label");
    if (label.size() > kMaxLabel) return makeError("a domain label is longer than 63 octets");
    if (label.front() == '-' || label.back() == '-') return makeError("a domain label starts or ends with '-'");
    if (!std::all_of(label.begin(), label.end(), [](char c) { return isLdh(static_cast<unsigned char>(c)); }))
      return makeError("the domain has a character other than letters, digits, '-' and '.'");
    start = end + 1;
  }
  return {};
}

Result<void> checkAddressLiteral(std::string_view literal) {
  const std::string_view inside = literal.substr(1, literal.size() - 2);
  if (inside.empty() || inside.find_first_of("[]\\ ") != std::string_view::npos)
    return makeError("the address literal is malformed");
  return {};
}

}  // namespace

Result<std::string> parseDomain(std::string_view text) {
  std::string domain = toLower(text);
  if (!domain.empty() && domain.back() == '.') domain.pop_back();  // a fully qualified name
  if (domain.empty()) return makeError("the domain is empty");
  if (domain.size() > kMaxDomain) return makeError("the domain is longer than 253 octets");
  const bool ascii = std::all_of(domain.begin(), domain.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) {
    if (auto checked = checkAsciiLabels(domain); !checked) return makeError(checked.error());
    return domain;
  }
  if (!isValidUtf8(domain)) return makeError("the domain is not valid UTF-8");
  auto ascii_form = asciiDomain(domain);
  if (!ascii_form) return makeError(ascii_form.error());
  if (auto checked = checkAsciiLabels(*ascii_form); !checked) return makeError(checked.error());
  return domain;
}

Result<std::string> asciiDomain(std::string_view domain) {
  if (std::all_of(domain.begin(), domain.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }))
    return std::string(domain);
  char* a_label = nullptr;
  const int rc = idn2_to_ascii_8z(std::string(domain).c_str(), &a_label, IDN2_NONTRANSITIONAL);
  const bool converted = rc == IDN2_OK && a_label != nullptr;
  std::string ascii_form = converted ? a_label : "";
  idn2_free(a_label);
  if (!converted) return makeError(std::string("the domain is not a valid internationalized name: ") + idn2_strerror(rc));
  return ascii_form;
}

Result<std::string> parseMailbox(std::string_view text) {
  const std::string address = stripAngles(text);
  if (address.empty()) return makeError("the address is empty");
  if (address.size() > kMaxMailbox) return makeError("the address is longer than 254 octets");
  if (!isValidUtf8(address)) return makeError("the address is not valid UTF-8");
  const std::size_t at = address.rfind('@');
  if (at == std::string::npos) return makeError("the address has no @domain");
  const std::string_view local = std::string_view(address).substr(0, at);
  const std::string_view domain = std::string_view(address).substr(at + 1);
  if (auto checked = checkLocalPart(local); !checked) return makeError(checked.error());
  if (domain.size() >= 2 && domain.front() == '[' && domain.back() == ']') {
    if (auto checked = checkAddressLiteral(domain); !checked) return makeError(checked.error());
    return std::string(local) + "@" + std::string(domain);
  }
  auto parsed_domain = parseDomain(domain);
  if (!parsed_domain) return makeError(parsed_domain.error());
  return std::string(local) + "@" + *parsed_domain;
}

}  // namespace waybill
