// CopyVerdicts: what this milter's own pass over a per-recipient copy decided, for the session
// that injected it. When the connection to the copy listener breaks after the content went out,
// the injector cannot tell whether Postfix queued the copy; the copy's pass through this same
// milter says more: no verdict or a tempfail means it is not in the queue; accepted means
// cleanup(8) was about to commit it. An accepted copy counts as queued for this transaction but is
// recorded unconfirmed, so should Postfix have stopped before the commit (the client's transaction
// then fails too), the retry sends it again: never lost, and twice only in that narrow window.
//
//   verdicts.expect(id);  ... inject ...  if unknown: auto accepted = verdicts.await(id, 10s);
//   verdicts.forget(id);                  // the copy's pass: verdicts.report(id, accepted)
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace waybill::milter {

class CopyVerdicts {
 public:
  void expect(const std::string& recipient_id);
  // Ignored for a copy nobody here waits for (injected by another milter process or attempt).
  void report(const std::string& recipient_id, bool accepted);
  // The verdict, or nothing when none came within `limit`.
  std::optional<bool> await(const std::string& recipient_id, std::chrono::milliseconds limit);
  void forget(const std::string& recipient_id);

 private:
  std::mutex mutex_;
  std::condition_variable reported_;
  std::map<std::string, std::optional<bool>> pending_;
};

}  // namespace waybill::milter
