// libFuzzer target for the MIME walker + LinkRewriter. Checks the tracker's invariants on any
// input, crashing (abort) when one breaks:
//  1. a walk whose handler changes nothing gives back the input byte for byte;
//  2. the rewritten message walks again into the same number of text parts;
//  3. in each text part only href values / bare URLs changed (plus the pixel), and every tracking
//     URL maps back to the URL at that place in the input;
//  4. if no input line was longer than 998 octets, no output line is.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "html/ascii_url.h"
#include "html/link_finder.h"
#include "html/link_rewriter.h"
#include "mime/mime_rewriter.h"
#include "../../support/longest_line.h"

namespace {

using namespace waybill;

constexpr std::string_view kClickPrefix = "https://t.example/c/";
constexpr std::string_view kPixel =
    "<img src=\"https://t.example/o/P\" width=\"1\" height=\"1\" alt=\"\" style=\"border:0;width:1px;height:1px\">";

class RecordingUrls : public html::TrackingUrls {
 public:
  std::string clickUrl(std::string_view url) override {
    originals.emplace_back(url);
    return std::string(kClickPrefix) + std::to_string(originals.size() - 1) + "x";
  }
  std::string openPixelUrl() override { return "https://t.example/o/P"; }
  bool isTrackingUrl(std::string_view url) const override { return url.rfind("https://t.example/", 0) == 0; }
  std::vector<std::string> originals;
};

// Names the broken invariant's line before aborting, so a finding explains itself.
void checkAt(bool condition, int line) {
  if (condition) return;
  std::fprintf(stderr, "invariant broken at mime_rewriter_fuzz.cpp:%d\n", line);
  std::abort();
}
#define check(condition) checkAt((condition), __LINE__)

struct Part {
  std::string media_type;
  std::string decoded;
};

std::vector<Part> textParts(std::string_view message) {
  std::vector<Part> parts;
  auto recorded = mime::rewriteWholeMessage(message, [&](const mime::TextPart& part, std::string_view decoded)
                                                         -> Result<std::string> {
    parts.push_back({part.media_type, std::string(decoded)});
    return std::string(decoded);
  });
  check(recorded.ok() && *recorded == message);  // invariant 1
  return parts;
}

using waybill::test_support::longestLine;

// Replaces each tracking URL "https://t.example/c/<n>x" with the n-th original URL.
std::string restoreUrls(std::string_view text, const std::vector<std::string>& originals) {
  std::string out;
  std::size_t position = 0;
  for (std::size_t hit; (hit = text.find(kClickPrefix, position)) != std::string_view::npos;) {
    out.append(text.substr(position, hit - position));
    std::size_t end = hit + kClickPrefix.size();
    std::size_t index = 0;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') index = index * 10 + (text[end++] - '0');
    check(end < text.size() && text[end] == 'x' && index < originals.size());
    out += originals[index];
    position = end + 1;
  }
  out.append(text.substr(position));
  return out;
}

// The HTML with every href value emptied: what must be identical before and after.
std::string withoutHrefValues(std::string_view html) {
  std::string out;
  std::size_t position = 0;
  for (const auto& link : html::findLinks(html).links) {
    out.append(html.substr(position, link.value_offset - position));
    position = link.value_offset + link.value_length;
  }
  out.append(html.substr(position));
  return out;
}

void checkPart(const Part& before, const Part& after, const RecordingUrls& urls) {
  check(before.media_type == after.media_type);
  if (before.media_type == "text/plain") {
    const std::string restored = restoreUrls(after.decoded, urls.originals);
    // A non-ASCII URL is tracked in its ASCII form (html/ascii_url), so only ASCII text restores
    // byte for byte; the HTML check below compares each link with its ASCII form.
    if (std::all_of(before.decoded.begin(), before.decoded.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }))
      check(restored == before.decoded);
    return;
  }
  std::string html = after.decoded;
  const std::size_t pixel = html.rfind(kPixel);
  check(pixel != std::string::npos);
  html.erase(pixel, kPixel.size());
  check(withoutHrefValues(html) == withoutHrefValues(before.decoded));
  const auto old_links = html::findLinks(before.decoded).links;
  const auto new_links = html::findLinks(html).links;
  check(old_links.size() == new_links.size());
  for (std::size_t i = 0; i < old_links.size(); ++i)
    if (new_links[i].url != old_links[i].url)
      check(restoreUrls(new_links[i].url, urls.originals) == html::asciiUrl(old_links[i].url, ""));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::vector<Part> before = textParts(input);

  RecordingUrls urls;
  auto output = mime::rewriteWholeMessage(input, [&](const mime::TextPart& part, std::string_view decoded) {
    html::LinkRewriter rewriter(urls, {});
    return part.media_type == "text/html" ? rewriter.rewriteHtml(decoded) : rewriter.rewriteText(decoded);
  });
  check(output.ok());
  // Inputs that already hold tracking URLs cannot be told apart from rewritten ones: checks 1, 2
  // and 4 still apply to them.
  const bool comparable = input.find("t.example") == std::string_view::npos;
  const std::vector<Part> after = textParts(*output);
  check(before.size() == after.size());  // invariant 2
  for (std::size_t i = 0; comparable && i < before.size(); ++i) checkPart(before[i], after[i], urls);  // invariant 3
  if (longestLine(input) <= 998) check(longestLine(*output) <= 998);  // invariant 4
  return 0;
}
