// renderMustache: mstch rendering with the escaping of {{name}} chosen by the caller for this one
// render (HTML entities for text/html, none for text/plain); {{{name}}} and {{& name}} are never
// escaped. Every Waybill use of mstch goes through here, so no caller depends on a process-wide
// escaping mode.
//
//   auto html = renderMustache(page, context, partials, escapeHtml);
//   auto text = renderMustache(plain, context, partials, keepUnescaped);
#pragma once

#include <map>
#include <mstch/mstch.hpp>
#include <string>
#include <string_view>

namespace waybill {

using MustacheEscape = std::string (*)(std::string_view);

// The escape of text/plain parts: values as they are.
std::string keepUnescaped(std::string_view text);
// What mstch escapes by itself when no hook is set: escapeHtml's five characters and '/' as
// "&#x2F;" (the unsubscribe page has always been rendered so; escapeHtml leaves '/' alone).
std::string mstchHtmlEscape(std::string_view text);

// Throws what mstch throws for a template it cannot render (std::exception).
std::string renderMustache(const std::string& text, const mstch::node& context,
                           const std::map<std::string, std::string>& partials, MustacheEscape escape);

}  // namespace waybill
