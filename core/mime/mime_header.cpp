#include "mime/mime_header.h"

#include "mail/address.h"

namespace waybill::mime {
namespace {

bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && isBlank(text.front())) text.remove_prefix(1);
  while (!text.empty() && isBlank(text.back())) text.remove_suffix(1);
  return text;
}

// Removes (comments), which RFC 2045 allows between tokens, outside quoted strings.
std::string stripComments(std::string_view value) {
  std::string out;
  int depth = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (quoted) {
      out += c;
      if (c == '\\' && i + 1 < value.size()) out += value[++i];
      else if (c == '"') quoted = false;
    } else if (c == '"' && depth == 0) {
      quoted = true;
      out += c;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')' && depth > 0) {
      --depth;
    } else if (depth == 0) {
      out += c;
    }
  }
  return out;
}

// Splits "a; b=c; d=\"e;f\"" at semicolons outside quotes.
std::vector<std::string_view> splitParams(std::string_view text) {
  std::vector<std::string_view> pieces;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (quoted && text[i] == '\\') ++i;
    else if (text[i] == '"') quoted = !quoted;
    else if (text[i] == ';' && !quoted) {
      pieces.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  pieces.push_back(text.substr(start));
  return pieces;
}

std::string unquote(std::string_view value) {
  value = trim(value);
  if (value.size() < 2 || value.front() != '"') return std::string(value);
  std::string out;
  for (std::size_t i = 1; i < value.size() && value[i] != '"'; ++i) {
    if (value[i] == '\\' && i + 1 < value.size()) ++i;
    out += value[i];
  }
  return out;
}

}  // namespace

std::string ContentType::param(std::string_view name) const {
  for (const auto& [key, value] : params)
    if (key == name) return value;
  return "";
}

ContentType parseContentType(std::string_view value) {
  const std::string cleaned = stripComments(value);
  const auto pieces = splitParams(cleaned);
  ContentType type;
  const std::string media = toLower(trim(pieces.front()));
  if (media.find('/') != std::string::npos && media.find_first_of(" \t\"") == std::string::npos) type.media_type = media;
  for (std::size_t i = 1; i < pieces.size(); ++i) {
    const auto equals = pieces[i].find('=');
    if (equals == std::string_view::npos) continue;
    type.params.emplace_back(toLower(trim(pieces[i].substr(0, equals))), unquote(pieces[i].substr(equals + 1)));
  }
  return type;
}

std::string dispositionType(std::string_view value) {
  const std::string cleaned = stripComments(value);
  return toLower(trim(splitParams(cleaned).front()));
}

std::string_view RawHeaderField::name() const {
  const std::string_view view(raw);
  const auto colon = view.find(':');
  return trim(view.substr(0, colon == std::string_view::npos ? 0 : colon));
}

std::string RawHeaderField::value() const {
  const auto colon = raw.find(':');
  if (colon == std::string::npos) return "";
  std::string out;
  for (std::size_t i = colon + 1; i < raw.size(); ++i)
    if (raw[i] != '\r' && raw[i] != '\n') out += raw[i];
  return std::string(trim(out));
}

bool isAsciiCompatibleCharset(std::string_view charset) {
  const std::string name = toLower(trim(charset));
  if (name.empty() || name == "us-ascii" || name == "ascii" || name == "utf-8" || name == "utf8") return true;
  for (std::string_view prefix : {"iso-8859-", "iso8859-", "windows-125", "cp125", "koi8-", "latin"})
    if (name.rfind(prefix, 0) == 0) return true;
  return false;
}

}  // namespace waybill::mime
