#include "html/link_rewriter.h"

#include <algorithm>

#include "html/ascii_url.h"
#include "html/byte_patch.h"
#include "html/link_finder.h"
#include "text/html_escape.h"
#include "text/url_finder.h"

namespace waybill::html {
namespace {

bool startsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (c != prefix[i]) return false;
  }
  return true;
}

// The attribute value to write for a new URL. Tracking URLs hold only [A-Za-z0-9:/._~-], so no
// quoting or escaping is needed in any quoting style; anything else is entity-encoded anyway.
bool needsEntity(char c) { return c == '&' || c == '"' || c == '\'' || c == '<' || c == '>'; }

std::string encodeAttributeValue(std::string url) {
  if (std::none_of(url.begin(), url.end(), needsEntity)) return url;  // every tracking URL
  return escapeHtml(url);
}

}  // namespace

bool isTrackableScheme(std::string_view url) {
  if (startsWithIgnoreCase(url, "http://")) return url.size() > 7;
  if (startsWithIgnoreCase(url, "https://")) return url.size() > 8;
  return false;
}

bool LinkRewriter::eligible(std::string_view url) const {
  if (!isTrackableScheme(url) || urls_.isTrackingUrl(url)) return false;
  // Blanks or controls inside a URL mean a template gone wrong; leave it for the reader to see.
  if (std::any_of(url.begin(), url.end(), [](char c) { return static_cast<unsigned char>(c) <= ' '; })) return false;
  return std::find(options_.keep_urls.begin(), options_.keep_urls.end(), url) == options_.keep_urls.end();
}

Result<std::string> LinkRewriter::rewriteHtml(std::string_view html) {
  const HtmlScan scan = findLinks(html);
  std::vector<BytePatch> patches;
  if (options_.links) {
    for (const auto& link : scan.links) {
      if (link.no_track || link.unsubscribe || !eligible(link.url)) continue;
      std::string destination = asciiUrl(link.url, options_.charset);
      patches.push_back({link.value_offset, link.value_length, encodeAttributeValue(urls_.clickUrl(destination))});
      rewritten_.push_back(std::move(destination));
    }
  }
  if (options_.pixel) {
    const std::string pixel = "<img src=\"" + encodeAttributeValue(urls_.openPixelUrl()) +
                              "\" width=\"1\" height=\"1\" alt=\"\" style=\"border:0;width:1px;height:1px\">";
    patches.push_back({scan.body_end.value_or(html.size()), 0, pixel});
  }
  return applyPatches(html, std::move(patches));
}

Result<std::string> LinkRewriter::rewriteText(std::string_view text) {
  if (!options_.links || !options_.text_links) return std::string(text);
  std::vector<BytePatch> patches;
  for (const auto& found : text::findTextUrls(text)) {
    const std::string_view url = text.substr(found.offset, found.length);
    if (!eligible(url)) continue;
    std::string destination = asciiUrl(url, options_.charset);
    patches.push_back({found.offset, found.length, urls_.clickUrl(destination)});
    rewritten_.push_back(std::move(destination));
  }
  return applyPatches(text, std::move(patches));
}

}  // namespace waybill::html
