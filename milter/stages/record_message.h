// RecordMessageStage: stores the message, its recipients and their `accepted` events. When the
// database cannot take them the transaction is answered with a temporary failure, so no mail
// leaves untracked (the client or pickup retries).
#pragma once

#include "store/connection_pool.h"
#include "milter_message.h"

namespace waybill::milter {

class RecordMessageStage : public Stage {
 public:
  explicit RecordMessageStage(ConnectionPool& pool) : pool_(pool) {}
  const char* name() const override { return "record"; }
  StageStatus onEndOfMessage(MilterMessage& message) override;

 private:
  ConnectionPool& pool_;
};

}  // namespace waybill::milter
