// LinkRewriter: turns the links of one decoded text part into tracking links for one recipient,
// by byte patches on the original text (candidates -> patches -> validate -> apply), so every byte
// outside a rewritten href value stays as it was. HTML parts also get the open pixel, right before
// </body> (at the end when there is none).
//
//   LinkRewriter rewriter(urls, {.links = true, .pixel = true, .text_links = true});
//   auto html = rewriter.rewriteHtml(decoded);    // urls.clickUrl() called once per eligible link
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace waybill::html {

// Mints the tracking URLs of one recipient of one message (token/tracking_token.h does the
// signing; tests use a fake).
class TrackingUrls {
 public:
  virtual ~TrackingUrls() = default;
  virtual std::string clickUrl(std::string_view original_url) = 0;
  virtual std::string openPixelUrl() = 0;
  // True for URLs that already point at the tracking host (unsubscribe pages, earlier rewrites).
  virtual bool isTrackingUrl(std::string_view url) const = 0;
};

struct RewriteOptions {
  bool links = true;       // rewrite <a>/<area> href (HTML) and bare URLs (text, if text_links)
  bool pixel = true;       // add the open pixel to HTML parts
  bool text_links = true;  // rewrite bare URLs in text/plain
  std::vector<std::string> keep_urls;  // never rewritten: the message's unsubscribe URLs
  std::string charset;                 // of the part: non-ASCII links are tracked in their ASCII form
};

// True for http(s) URLs the tracker may rewrite: not mailto:, tel:, #anchors, javascript:, ...
bool isTrackableScheme(std::string_view url);

class LinkRewriter {
 public:
  LinkRewriter(TrackingUrls& urls, RewriteOptions options) : urls_(urls), options_(std::move(options)) {}

  Result<std::string> rewriteHtml(std::string_view html);
  Result<std::string> rewriteText(std::string_view text);
  // Original URLs rewritten so far, in order (for the links table).
  const std::vector<std::string>& rewrittenUrls() const { return rewritten_; }

 private:
  bool eligible(std::string_view url) const;

  TrackingUrls& urls_;
  RewriteOptions options_;
  std::vector<std::string> rewritten_;
};

}  // namespace waybill::html
