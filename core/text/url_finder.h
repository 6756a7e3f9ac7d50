// UrlFinder: bare http(s) URLs in text/plain bodies, the way mail clients linkify them: from
// "http://" or "https://" (any case) to the first blank, '<', '>' or '"', minus trailing
// punctuation that usually ends the sentence (and a ')' that closes nothing inside the URL).
//
//   for (const auto& found : findTextUrls(text)) use(found.offset, found.length);
#pragma once

#include <string_view>
#include <vector>

namespace waybill::text {

struct TextUrl {
  std::size_t offset = 0;
  std::size_t length = 0;
};

std::vector<TextUrl> findTextUrls(std::string_view text);

}  // namespace waybill::text
