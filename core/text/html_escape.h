// escapeHtml: the five characters that matter in HTML text and quoted attribute values
// (& < > " ') as entities; one definition for the report, the templates, the rewritten links
// and the unsubscribe page.
//
//   out += "<td>" + escapeHtml(sender) + "</td>";
#pragma once

#include <string>
#include <string_view>

namespace waybill {

std::string escapeHtml(std::string_view text);

}  // namespace waybill
