// Pipeline: the milter's stages in their fixed order (control headers, standard headers, ...,
// record), run at end of message. The first stage that does not proceed ends the run.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "milter_message.h"

namespace waybill::milter {

class Pipeline {
 public:
  void add(std::unique_ptr<Stage> stage) { stages_.push_back(std::move(stage)); }
  // Mail whose every recipient is in one of these domains (the bounce and inbound domains that
  // Postfix hands to waybill-pipe) is not outbound mail: it passes untouched and unrecorded.
  void passThrough(std::set<std::string> domains) { pass_through_ = std::move(domains); }
  bool passesThrough(const MilterMessage& message) const;
  // `stopped_by`, when given, receives the name of the stage that ended the run (metrics).
  StageStatus run(MilterMessage& message, const char** stopped_by = nullptr) const;

 private:
  std::vector<std::unique_ptr<Stage>> stages_;
  std::set<std::string> pass_through_;  // lower case
};

}  // namespace waybill::milter
