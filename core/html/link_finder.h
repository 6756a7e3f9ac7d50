// LinkFinder: one pass over an HTML document's token stream (not a DOM) that finds the href
// values of <a> and <area> tags and where the open pixel goes (before the last </body>).
// Comments, <!...>, <?...> and the contents of <script>, <style>, <textarea>, <title> are
// skipped, so links inside them are never seen. Offsets point into the given bytes.
//
//   HtmlScan scan = findLinks(html);
//   for (const auto& link : scan.links) use(link.url, link.value_offset, link.value_length);
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace waybill::html {

struct LinkCandidate {
  std::size_t value_offset = 0;  // the attribute value's bytes, without quotes
  std::size_t value_length = 0;
  char quote = 0;                // '"', '\'' or 0 for an unquoted value
  std::string url;               // the value with HTML entities decoded and blanks trimmed
  bool no_track = false;         // the tag carries data-waybill-notrack
  bool unsubscribe = false;      // the tag carries data-waybill-unsubscribe
};

struct HtmlScan {
  std::vector<LinkCandidate> links;
  std::optional<std::size_t> body_end;  // offset of the last "</body" tag
};

HtmlScan findLinks(std::string_view html);

// Decodes character references (&amp; &#38; &#x26; and the few named ones URLs meet).
std::string decodeEntities(std::string_view text);

}  // namespace waybill::html
