// MilterMetrics: what waybill-milter exposes on [milter] metrics_listen (docs/metrics.md).
// Everything is read off the MilterMessage after the pipeline ran, so no stage knows about
// metrics. Children of fixed label sets are fetched once; only the rare tempfail/reject path
// looks its cause up in the family (a mutex, acceptable there).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string_view>

#include "milter_message.h"

namespace waybill::milter {

// How one end of message ended. `cause` names what stopped it: the pipeline stage's name, or
// the adapter's own step ("mta_edit", "body_spool"); empty when the message went on.
struct EndOfMessage {
  const MilterMessage& message;
  StageStatus::Outcome outcome = StageStatus::Outcome::Continue;
  std::string_view cause;
  double seconds = 0;
};

// The DKIM algorithm ("rsa-sha256", "ed25519-sha256", "other") of a DKIM-Signature value.
std::string_view dkimAlgorithm(std::string_view signature);

class MilterMetrics {
 public:
  MilterMetrics();
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  void record(const EndOfMessage& end);
  // A message refused before end of message (its body could not be spooled).
  void countEarlyTempfail(std::string_view cause);
  prometheus::Gauge& databaseUp() { return *database_up_; }
  prometheus::Gauge& suppressions() { return *suppressions_; }

 private:
  void countAccepted(const MilterMessage& message);

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* tempfails_;
  prometheus::Family<prometheus::Counter>* rejects_;
  prometheus::Counter* accepted_;
  prometheus::Counter* held_;
  prometheus::Counter* tempfailed_;
  prometheus::Counter* rejected_;
  prometheus::Counter* recipients_;
  prometheus::Counter* recipients_suppressed_;
  prometheus::Counter* bodies_rewritten_;
  prometheus::Counter* copies_injected_;
  prometheus::Counter* spooled_bodies_;
  prometheus::Counter* rsa_signatures_;
  prometheus::Counter* ed25519_signatures_;
  prometheus::Counter* other_signatures_;
  prometheus::Histogram* message_seconds_;
  prometheus::Gauge* database_up_;
  prometheus::Gauge* suppressions_;
};

}  // namespace waybill::milter
