#include "stages/templates.h"

#include "runtime/log.h"
#include "mail/address.h"
#include "mime/transfer_encoding.h"

namespace waybill::milter {
namespace {

// Sets a header in the stage-visible list and asks the MTA for the same change.
void replaceHeader(MilterMessage& message, const std::string& name, const std::string& value) {
  bool found = false;
  for (auto& field : message.headers) {
    if (equalsIgnoreCase(field.name, name) && !found) {
      field.value = value;
      found = true;
    }
  }
  if (!found) message.headers.push_back({name, value});
  message.header_edits.push_back({HeaderEdit::Kind::Change, name, 1, value});
}

void dropHeader(MilterMessage& message, const std::string& name) {
  message.removeAll(name);
  std::erase_if(message.headers, [&](const HeaderField& field) { return equalsIgnoreCase(field.name, name); });
}

}  // namespace

StageStatus TemplatesStage::onEndOfMessage(MilterMessage& message) {
  const std::string* header = message.header("X-Waybill-Template");
  if (!header) return StageStatus::proceed();
  const std::string name(stripAngles(*header));  // a copy: the header list changes below
  if (auto reloaded = renderer_->reloadIfRequested()) {
    if (!*reloaded) log::error("templates not reloaded: {}", reloaded->error());
    else log::info("templates reloaded from {}", renderer_->directory());
  }
  std::string json;
  if (const std::string* data = message.header("X-Waybill-Template-Data")) {
    json = mime::decodeBase64(*data);
    if (json.empty() && stripAngles(*data).size() > 0) return StageStatus::reject("X-Waybill-Template-Data is not base64");
  }
  auto rendered = renderer_->render(name, json);
  if (!rendered) return StageStatus::reject("X-Waybill-Template: " + rendered.error());

  auto [content_type, body] = buildTemplateBody(*rendered);
  auto spool = std::make_shared<mime::BodySpool>(spool_dir_, spool_memory_limit_);
  if (auto appended = spool->append(body); !appended) return StageStatus::tempFail("Waybill cannot spool the rendered body");
  message.body = spool;
  message.replacement_body = spool;  // tracking may replace it again with its rewrite of this body
  message.body_bytes = body.size();
  replaceHeader(message, "MIME-Version", "1.0");
  replaceHeader(message, "Content-Type", content_type);
  dropHeader(message, "Content-Transfer-Encoding");
  log::info("queue {}: rendered template '{}'", message.envelope.queue_id, name);
  return StageStatus::proceed();
}

}  // namespace waybill::milter
