#include "html/byte_patch.h"

#include <algorithm>

#include <fmt/format.h>

namespace waybill::html {

Result<std::string> applyPatches(std::string_view original, std::vector<BytePatch> patches) {
  std::stable_sort(patches.begin(), patches.end(),
                   [](const BytePatch& a, const BytePatch& b) { return a.offset < b.offset; });
  std::size_t grow = 0;
  std::size_t covered_to = 0;
  for (const auto& patch : patches) {
    if (patch.offset > original.size() || patch.length > original.size() - patch.offset)
      return makeError(fmt::format("patch at {} (+{}) runs past the end ({})", patch.offset, patch.length, original.size()));
    if (patch.offset < covered_to)
      return makeError(fmt::format("patch at {} overlaps the previous one (ending at {})", patch.offset, covered_to));
    covered_to = patch.offset + patch.length;
    grow += patch.replacement.size();
  }
  std::string out;
  out.reserve(original.size() + grow);
  std::size_t position = 0;
  for (const auto& patch : patches) {
    out.append(original.substr(position, patch.offset - position));
    out += patch.replacement;
    position = patch.offset + patch.length;
  }
  out.append(original.substr(position));
  return out;
}

}  // namespace waybill::html
