// UnsubscribePage: the HTML page behind GET /u/TOKEN (a confirm button; a GET never unsubscribes,
// since link scanners fetch every link) and after a browser's POST (confirmation). Rendered with
// mstch from an operator-overridable mustache template; the variables are:
//   {{action}}     the URL the confirm form POSTs to (/u/TOKEN, HTML-escaped by {{ }})
//   {{#confirm}}   section shown before unsubscribing;  {{#done}} section shown after it
#pragma once

#include <string>

#include "util/result.h"

namespace waybill::track {

class UnsubscribePage {
 public:
  explicit UnsubscribePage(std::string mustache_template) : template_(std::move(mustache_template)) {}
  // Reads DIR/unsubscribe.html.mustache; an empty dir gives the built-in page.
  static Result<UnsubscribePage> load(const std::string& template_dir, const std::string& builtin);

  std::string renderConfirm(const std::string& action_url) const;
  std::string renderDone() const;

 private:
  std::string render(const std::string& action_url, bool done) const;
  std::string template_;
};

}  // namespace waybill::track
