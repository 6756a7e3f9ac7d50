#include "text/html_escape.h"

#include "text/char_escapes.h"

namespace waybill {
namespace {

constexpr CharEscape kEntities[] = {{'&', "&amp;"}, {'<', "&lt;"}, {'>', "&gt;"}, {'"', "&quot;"}, {'\'', "&#39;"}};

}  // namespace

std::string escapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  appendWithEscapes(out, text, kEntities);
  return out;
}

}  // namespace waybill
