// A pipeline stage for the milter's unit tests: it proceeds, and counts how often it ran.
#pragma once

#include "pipeline.h"

namespace waybill::milter {

class CountingStage : public Stage {
 public:
  explicit CountingStage(int& runs) : runs_(runs) {}

  StageStatus onEndOfMessage(MilterMessage&) override {
    ++runs_;
    return StageStatus::proceed();
  }
  const char* name() const override { return "counting"; }

 private:
  int& runs_;
};

}  // namespace waybill::milter
