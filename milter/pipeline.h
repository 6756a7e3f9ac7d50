// Pipeline: the milter's stages in their fixed order (control headers, standard headers, ...,
// record), run at end of message. The first stage that does not proceed ends the run.
#pragma once

#include <memory>
#include <vector>

#include "milter_message.h"

namespace waybill::milter {

class Pipeline {
 public:
  void add(std::unique_ptr<Stage> stage) { stages_.push_back(std::move(stage)); }
  // `stopped_by`, when given, receives the name of the stage that ended the run (metrics).
  StageStatus run(MilterMessage& message, const char** stopped_by = nullptr) const;

 private:
  std::vector<std::unique_ptr<Stage>> stages_;
};

}  // namespace waybill::milter
