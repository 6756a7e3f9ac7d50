// UTF-8 hygiene for text that goes into PostgreSQL `text` columns: mail headers may carry raw
// 8-bit bytes in any charset, and one invalid byte would make the whole insert fail.
#pragma once

#include <string>
#include <string_view>

namespace waybill {

bool isValidUtf8(std::string_view text);
// Replaces each invalid sequence with U+FFFD and drops NUL bytes.
std::string toValidUtf8(std::string_view text);

}  // namespace waybill
