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
  StageStatus run(MilterMessage& message) const;

 private:
  std::vector<std::unique_ptr<Stage>> stages_;
};

}  // namespace waybill::milter
