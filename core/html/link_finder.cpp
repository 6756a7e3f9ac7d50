#include "html/link_finder.h"

#include <cstring>

namespace waybill::html {
namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }
bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool equalsLower(std::string_view text, std::string_view lower_word) {
  if (text.size() != lower_word.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i)
    if (lower(text[i]) != lower_word[i]) return false;
  return true;
}

// Case-insensitive search for an ASCII lower-case needle.
std::size_t findLower(std::string_view text, std::string_view needle, std::size_t from) {
  while (from + needle.size() <= text.size()) {
    const void* hit = std::memchr(text.data() + from, '<', text.size() - from);
    if (!hit) return std::string_view::npos;
    from = static_cast<std::size_t>(static_cast<const char*>(hit) - text.data());
    if (from + needle.size() <= text.size() && equalsLower(text.substr(from, needle.size()), needle)) return from;
    ++from;
  }
  return std::string_view::npos;
}

struct Attribute {
  std::string_view name;
  std::size_t value_offset = 0;
  std::size_t value_length = 0;
  char quote = 0;
  bool has_value = false;
};

struct Tag {
  std::string_view name;
  bool closing = false;
  std::vector<Attribute> attributes;
  std::size_t end = 0;  // offset just past '>' (or the end of input)
};

// Parses the tag starting at html[start] == '<' as the HTML tokenizer would.
Tag parseTag(std::string_view html, std::size_t start) {
  Tag tag;
  std::size_t i = start + 1;
  if (i < html.size() && html[i] == '/') {
    tag.closing = true;
    ++i;
  }
  const std::size_t name_start = i;
  while (i < html.size() && !isSpace(html[i]) && html[i] != '>' && html[i] != '/') ++i;
  tag.name = html.substr(name_start, i - name_start);
  while (i < html.size()) {
    while (i < html.size() && (isSpace(html[i]) || html[i] == '/')) ++i;
    if (i >= html.size() || html[i] == '>') break;
    Attribute attribute;
    const std::size_t attr_start = i++;  // the first character may be '=' per the tokenizer
    while (i < html.size() && !isSpace(html[i]) && html[i] != '>' && html[i] != '/' && html[i] != '=') ++i;
    attribute.name = html.substr(attr_start, i - attr_start);
    std::size_t j = i;
    while (j < html.size() && isSpace(html[j])) ++j;
    if (j < html.size() && html[j] == '=') {
      ++j;
      while (j < html.size() && isSpace(html[j])) ++j;
      attribute.has_value = true;
      if (j < html.size() && (html[j] == '"' || html[j] == '\'')) {
        attribute.quote = html[j];
        const std::size_t close = html.find(attribute.quote, j + 1);
        attribute.value_offset = j + 1;
        attribute.value_length = (close == std::string_view::npos ? html.size() : close) - attribute.value_offset;
        i = close == std::string_view::npos ? html.size() : close + 1;
      } else {
        attribute.value_offset = j;
        while (j < html.size() && !isSpace(html[j]) && html[j] != '>') ++j;
        attribute.value_length = j - attribute.value_offset;
        i = j;
      }
    }
    tag.attributes.push_back(attribute);
  }
  tag.end = i < html.size() ? i + 1 : html.size();
  return tag;
}

std::string_view trimBlanks(std::string_view text) {
  while (!text.empty() && isSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && isSpace(text.back())) text.remove_suffix(1);
  return text;
}

void collectLink(std::string_view html, const Tag& tag, HtmlScan& scan) {
  const Attribute* href = nullptr;
  LinkCandidate candidate;
  for (const auto& attribute : tag.attributes) {
    if (equalsLower(attribute.name, "href") && attribute.has_value && !href) href = &attribute;  // first wins, as in browsers
    if (equalsLower(attribute.name, "data-waybill-notrack")) candidate.no_track = true;
    if (equalsLower(attribute.name, "data-waybill-unsubscribe")) candidate.unsubscribe = true;
  }
  if (!href) return;
  candidate.value_offset = href->value_offset;
  candidate.value_length = href->value_length;
  candidate.quote = href->quote;
  candidate.url = decodeEntities(trimBlanks(html.substr(href->value_offset, href->value_length)));
  scan.links.push_back(std::move(candidate));
}

// Where markup resumes after a construct that is not a tag; npos when it never ends.
std::size_t skipNonTag(std::string_view html, std::size_t start) {
  if (html.compare(start, 4, "<!--") == 0) {
    const std::size_t end = html.find("-->", start + 4);
    return end == std::string_view::npos ? html.size() : end + 3;
  }
  const std::size_t end = html.find('>', start);
  return end == std::string_view::npos ? html.size() : end + 1;
}

bool isRawTextElement(std::string_view name) {
  return equalsLower(name, "script") || equalsLower(name, "style") || equalsLower(name, "textarea") ||
         equalsLower(name, "title") || equalsLower(name, "xmp");
}

void appendUtf8(std::string& out, unsigned long code) {
  if (code == 0 || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) code = 0xFFFD;
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

// Decodes the reference at text[i] == '&' into out; returns the length consumed, 0 if none.
std::size_t decodeReference(std::string_view text, std::size_t i, std::string& out) {
  static constexpr std::pair<std::string_view, char> kNamed[] = {
      {"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}, {"amp", '&'}};
  const std::string_view rest = text.substr(i + 1);
  if (!rest.empty() && rest[0] == '#') {
    std::size_t j = 1;
    const bool hex = j < rest.size() && (rest[j] == 'x' || rest[j] == 'X');
    if (hex) ++j;
    unsigned long code = 0;
    const std::size_t digits_start = j;
    while (j < rest.size() && j - digits_start < 8) {
      const char c = rest[j];
      int digit = -1;
      if (c >= '0' && c <= '9') digit = c - '0';
      else if (hex && lower(c) >= 'a' && lower(c) <= 'f') digit = lower(c) - 'a' + 10;
      if (digit < 0) break;
      code = code * (hex ? 16 : 10) + static_cast<unsigned long>(digit);
      ++j;
    }
    if (j == digits_start) return 0;
    if (j < rest.size() && rest[j] == ';') ++j;
    appendUtf8(out, code);
    return j + 1;
  }
  for (const auto& [name, value] : kNamed) {
    if (rest.substr(0, name.size()) == name) {
      out += value;
      return name.size() + 1;
    }
  }
  return 0;
}

}  // namespace

std::string decodeEntities(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '&') {
      if (const std::size_t used = decodeReference(text, i, out)) {
        i += used - 1;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

HtmlScan findLinks(std::string_view html) {
  HtmlScan scan;
  std::size_t i = 0;
  while (i < html.size()) {
    const void* hit = std::memchr(html.data() + i, '<', html.size() - i);
    if (!hit) break;
    i = static_cast<std::size_t>(static_cast<const char*>(hit) - html.data());
    const char next = i + 1 < html.size() ? html[i + 1] : '\0';
    if (next == '!' || next == '?') {
      i = skipNonTag(html, i);
      continue;
    }
    if (!isAlpha(next) && !(next == '/' && i + 2 < html.size() && isAlpha(html[i + 2]))) {
      ++i;  // a bare '<' in text
      continue;
    }
    const Tag tag = parseTag(html, i);
    if (tag.closing) {
      if (equalsLower(tag.name, "body")) scan.body_end = i;
    } else if (equalsLower(tag.name, "a") || equalsLower(tag.name, "area")) {
      collectLink(html, tag, scan);
    } else if (isRawTextElement(tag.name)) {
      const std::string closing = "</" + [&] {
        std::string name;
        for (char c : tag.name) name += lower(c);
        return name;
      }();
      const std::size_t end = findLower(html, closing, tag.end);
      i = end == std::string_view::npos ? html.size() : end;
      continue;
    }
    i = tag.end;
  }
  return scan;
}

}  // namespace waybill::html
