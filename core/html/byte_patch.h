// BytePatch: one replacement of a byte range of an original buffer. Rewriters collect patches on
// the original bytes, then applyPatches checks them (in bounds, no overlap) and builds the result,
// so every byte outside a patch is copied unchanged (after rspamd's html_url_rewrite).
//
//   std::vector<BytePatch> patches{{10, 5, "https://t.example/c/T"}};
//   auto out = applyPatches(html, patches);   // error if patches overlap or run past the end
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace waybill::html {

struct BytePatch {
  std::size_t offset = 0;
  std::size_t length = 0;  // 0: pure insertion before `offset`
  std::string replacement;
};

// Patches may come in any order; they are sorted by offset. Two insertions at one offset keep
// their given order.
Result<std::string> applyPatches(std::string_view original, std::vector<BytePatch> patches);

}  // namespace waybill::html
