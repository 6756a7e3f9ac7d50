#include "template/template_renderer.h"

#include <fmt/format.h>
#include <mstch/mstch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <climits>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "mime/transfer_encoding.h"
#include "template/mustache_render.h"
#include "text/html_escape.h"
#include "util/sha256.h"

namespace waybill {
namespace {

// Set from a signal handler, hence a lock-free atomic and nothing else.
std::atomic<bool> g_reload_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free);

mstch::node toNode(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::object: {
      mstch::map map;
      for (const auto& [key, item] : value.items()) map.emplace(key, toNode(item));
      return map;
    }
    case nlohmann::json::value_t::array: {
      mstch::array array;
      for (const auto& item : value) array.push_back(toNode(item));
      return array;
    }
    case nlohmann::json::value_t::string: return value.get<std::string>();
    case nlohmann::json::value_t::boolean: return value.get<bool>();
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: {
      const auto number = value.get<long long>();
      if (number >= INT_MIN && number <= INT_MAX) return static_cast<int>(number);
      return std::to_string(number);
    }
    case nlohmann::json::value_t::number_float: return value.get<double>();
    default: return std::string();
  }
}

bool validName(const std::string& name) {
  static const std::regex kName("[A-Za-z0-9][A-Za-z0-9_.-]{0,99}");
  return std::regex_match(name, kName) && name.find("..") == std::string::npos;
}

std::string quotedPrintablePart(const std::string& media_type, const std::string& content) {
  return fmt::format("Content-Type: {}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{}",
                     media_type, mime::encodeQuotedPrintable(content, "\r\n"));
}

}  // namespace

TemplateRenderer::TemplateRenderer(std::string directory) : directory_(std::move(directory)) {
  (void)reload();
}

Status TemplateRenderer::reload() {
  namespace fs = std::filesystem;
  auto files = std::make_shared<Files>();
  std::error_code ec;
  for (fs::directory_iterator it(directory_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string file = it->path().filename().string();
    const std::string suffix = ".mustache";
    if (file.size() <= suffix.size() || file.compare(file.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    std::ifstream in(it->path());
    std::stringstream text;
    text << in.rdbuf();
    (*files)[file.substr(0, file.size() - suffix.size())] = text.str();
  }
  if (ec) return makeError(fmt::format("template folder '{}': {}", directory_, ec.message()));
  std::lock_guard lock(mutex_);
  files_ = std::move(files);
  return {};
}

void TemplateRenderer::requestReload() { g_reload_requested.store(true); }

std::optional<Status> TemplateRenderer::reloadIfRequested() {
  if (!g_reload_requested.exchange(false)) return std::nullopt;
  return reload();
}

std::shared_ptr<const TemplateRenderer::Files> TemplateRenderer::snapshot() const {
  std::lock_guard lock(mutex_);
  return files_ ? files_ : std::make_shared<const Files>();
}

Result<RenderedTemplate> TemplateRenderer::render(const std::string& name, const std::string& json_data) const {
  if (!validName(name)) return makeError(fmt::format("template name '{}' is not allowed", name));
  const auto files = snapshot();
  const auto html = files->find(name + ".html");
  const auto text = files->find(name + ".txt");
  if (html == files->end() && text == files->end())
    return makeError(fmt::format("unknown template '{}' (no {}.html.mustache or {}.txt.mustache)", name, name, name));
  nlohmann::json data = nlohmann::json::object();
  if (!json_data.empty()) {
    data = nlohmann::json::parse(json_data, nullptr, /*allow_exceptions=*/false);
    if (data.is_discarded()) return makeError("X-Waybill-Template-Data is not valid JSON");
    if (!data.is_object()) return makeError("X-Waybill-Template-Data must be a JSON object");
  }
  const mstch::node context = toNode(data);
  const std::map<std::string, std::string> partials(files->begin(), files->end());
  RenderedTemplate rendered;
  try {
    if (html != files->end()) rendered.html = renderMustache(html->second, context, partials, escapeHtml);
    if (text != files->end()) rendered.text = renderMustache(text->second, context, partials, keepUnescaped);
  } catch (const std::exception& e) {
    return makeError(fmt::format("template '{}' failed to render: {}", name, e.what()));
  }
  return rendered;
}

std::pair<std::string, std::string> buildTemplateBody(const RenderedTemplate& parts) {
  if (!parts.text || !parts.html) {
    const bool html = parts.html.has_value();
    const std::string& content = html ? *parts.html : *parts.text;
    return {fmt::format("{}; charset=utf-8", html ? "text/html" : "text/plain"),
            mime::encodeQuotedPrintable(content, "\r\n")};
  }
  // Derived from the content, not random: a retried transaction must produce the same bytes.
  const Sha256::Digest digest = Sha256().update(*parts.text).update(std::string_view("\0", 1)).update(*parts.html).finish();
  std::string boundary = "=_waybill_";
  for (int i = 0; i < 12; ++i) boundary += fmt::format("{:02x}", digest[i]);
  std::string body = "This is a multi-part message in MIME format.\r\n";
  body += "--" + boundary + "\r\n" + quotedPrintablePart("text/plain", *parts.text) + "\r\n";
  body += "--" + boundary + "\r\n" + quotedPrintablePart("text/html", *parts.html) + "\r\n";
  body += "--" + boundary + "--\r\n";
  return {fmt::format("multipart/alternative; boundary=\"{}\"", boundary), body};
}

}  // namespace waybill
