// TemplatesStage: `X-Waybill-Template: NAME` with `X-Waybill-Template-Data: base64(JSON)` makes
// the body the rendered NAME.txt/NAME.html templates (template/template_renderer.h), as a
// multipart/alternative, before tracking — so rendered links are tracked like any other.
// An unknown template or bad data is the application's error: 550 5.6.0 naming the problem.
#pragma once

#include <memory>

#include "milter_message.h"
#include "template/template_renderer.h"

namespace waybill::milter {

class TemplatesStage : public Stage {
 public:
  TemplatesStage(std::shared_ptr<TemplateRenderer> renderer, std::string spool_dir, std::size_t spool_memory_limit)
      : renderer_(std::move(renderer)), spool_dir_(std::move(spool_dir)), spool_memory_limit_(spool_memory_limit) {}
  const char* name() const override { return "templates"; }
  StageStatus onEndOfMessage(MilterMessage& message) override;

 private:
  std::shared_ptr<TemplateRenderer> renderer_;
  std::string spool_dir_;
  std::size_t spool_memory_limit_;
};

}  // namespace waybill::milter
