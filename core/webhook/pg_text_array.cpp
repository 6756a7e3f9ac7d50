#include "webhook/pg_text_array.h"

namespace waybill::webhook {

std::string pgTextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (const auto& value : values) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char c : value) {
      if (c == '"' || c == '\\') out += '\\';  // the only two characters quoted elements escape
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

}  // namespace waybill::webhook
