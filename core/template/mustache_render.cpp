#include "template/mustache_render.h"

#include <mutex>

#include "text/html_escape.h"

namespace waybill {
namespace {

// mstch calls one static hook, mstch::config::escape, with nothing but the value, so the escape
// of the render in progress has to be found from the hook: each renderMustache() call binds its
// own for its duration on its thread (threads render text and HTML parts at the same time), and
// restores the outer one when done or when mstch throws.
thread_local MustacheEscape t_render_escape = nullptr;

class EscapeForThisRender {
 public:
  explicit EscapeForThisRender(MustacheEscape escape) : outer_(t_render_escape) { t_render_escape = escape; }
  ~EscapeForThisRender() { t_render_escape = outer_; }
  EscapeForThisRender(const EscapeForThisRender&) = delete;
  EscapeForThisRender& operator=(const EscapeForThisRender&) = delete;

 private:
  MustacheEscape outer_;
};

void delegateMstchEscapeToRender() {
  static std::once_flag once;
  std::call_once(once, [] {
    mstch::config::escape = [](const std::string& value) {
      // Outside renderMustache (a direct mstch::render) the escaping stays what mstch does alone.
      return t_render_escape ? t_render_escape(value) : mstchHtmlEscape(value);
    };
  });
}

}  // namespace

std::string keepUnescaped(std::string_view text) { return std::string(text); }

std::string mstchHtmlEscape(std::string_view text) {
  std::string out;
  std::size_t start = 0;
  for (std::size_t slash; (slash = text.find('/', start)) != std::string_view::npos; start = slash + 1)
    out += escapeHtml(text.substr(start, slash - start)) + "&#x2F;";
  return out + escapeHtml(text.substr(start));
}

std::string renderMustache(const std::string& text, const mstch::node& context,
                           const std::map<std::string, std::string>& partials, MustacheEscape escape) {
  delegateMstchEscapeToRender();
  EscapeForThisRender bound(escape);
  return mstch::render(text, context, partials);
}

}  // namespace waybill
