#include "track/unsubscribe_page.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "template/mustache_render.h"

namespace waybill::track {

Result<UnsubscribePage> UnsubscribePage::load(const std::string& template_dir, const std::string& builtin) {
  if (template_dir.empty()) return UnsubscribePage(builtin);
  const std::string path = template_dir + "/unsubscribe.html.mustache";
  std::ifstream in(path);
  if (!in) return makeError(fmt::format("option 'trackd.template_dir': cannot read '{}': {}", path, std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  return UnsubscribePage(text.str());
}

std::string UnsubscribePage::renderConfirm(const std::string& action_url) const { return render(action_url, false); }

std::string UnsubscribePage::renderDone() const { return render("", true); }

std::string UnsubscribePage::render(const std::string& action_url, bool done) const {
  mstch::map context{{"action", action_url}, {"confirm", !done}, {"done", done}};
  return renderMustache(template_, context, {}, mstchHtmlEscape);
}

}  // namespace waybill::track
