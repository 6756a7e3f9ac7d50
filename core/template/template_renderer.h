// TemplateRenderer: renders the mustache templates (mstch) named by X-Waybill-Template with the
// JSON data of X-Waybill-Template-Data. NAME.html.mustache is rendered with HTML escaping of
// {{x}}, NAME.txt.mustache without it ({{{x}}} is raw in both). Every *.mustache file of the
// folder is also a partial, named by its file name without ".mustache" ({{> footer.html}}).
// Templates are read once and kept; reload() (SIGUSR1 in the milter) swaps in a fresh snapshot.
//
//   TemplateRenderer renderer("/etc/waybill/templates");
//   auto parts = renderer.render("welcome", R"({"name":"Ann"})");
//   if (!parts) reject(parts.error());          // unknown template, bad JSON: the error says which
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "util/result.h"

namespace waybill {

struct RenderedTemplate {
  std::optional<std::string> text;  // from NAME.txt.mustache, when present
  std::optional<std::string> html;  // from NAME.html.mustache, when present
};

class TemplateRenderer {
 public:
  explicit TemplateRenderer(std::string directory);

  Result<RenderedTemplate> render(const std::string& name, const std::string& json_data) const;
  // Re-reads the folder; on failure the previous templates stay in use.
  Status reload();
  // Async-signal-safe: asks every renderer to reload before its next render (SIGUSR1).
  static void requestReload();
  // Reloads when requestReload() asked for it: the outcome, or nothing when no reload was due.
  std::optional<Status> reloadIfRequested();
  const std::string& directory() const { return directory_; }

 private:
  using Files = std::map<std::string, std::string>;  // partial name -> template text
  std::shared_ptr<const Files> snapshot() const;

  std::string directory_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Files> files_;
};

// The multipart/alternative (or single-part) MIME body for rendered parts, quoted-printable,
// CRLF line ends, same bytes for the same parts; returns {content_type header value, body}.
std::pair<std::string, std::string> buildTemplateBody(const RenderedTemplate& parts);

}  // namespace waybill
