// ScheduleStore: the SQL of scheduled sending (`scheduled_messages`, sql/migrations/0004): the
// milter's hold, policyd's releases and re-checks, and `waybill schedule list|cancel`. Each write
// is one statement that changes the schedule row, the recipients and their events together.
// What to do when (release, cancel, re-check) is decided by the callers.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/pg_connection.h"
#include "util/result.h"

namespace waybill::store {

// The milter: the schedule row, its recipients marked held, one `held` event each.
// `due_seconds` is unix time with fractions; `due_text` the same in RFC 3339 for the events.
Status recordHold(PgConnection& conn, const std::string& message_id, const std::string& queue_id,
                  const std::string& host, double due_seconds, const std::string& sender, const std::string& due_text);

struct HeldMessage {
  std::string message_id;
  std::string queue_id;
  std::string host;
};

// policyd, inside its transaction: the next due message of `host`, locked (FOR UPDATE SKIP
// LOCKED, so several policyd processes never take the same one); nullopt when none is due.
Result<std::optional<HeldMessage>> takeDue(PgConnection& conn, const std::string& host);

struct HeldRecipient {
  std::string recipient_id;
  std::string address;
  std::string sender;  // the message's envelope sender
};
Result<std::vector<HeldRecipient>> heldRecipients(PgConnection& conn, const std::string& message_id);

// Released: recipients back to `accepted` with one `released` event each.
Status markReleased(PgConnection& conn, const std::string& message_id, const std::string& queue_id);
// Recipients suppressed while held: `details_json` maps recipient id -> event details;
// `every` when they were all of them (the message was deleted: the schedule is cancelled).
Status markSuppressedWhileHeld(PgConnection& conn, const std::string& message_id, const std::string& details_json,
                               const std::string& sender, bool every);
Status markFailed(PgConnection& conn, const std::string& message_id, const std::string& detail);

// `waybill schedule list [--all]`.
struct ScheduledListing {
  std::string message_id, queue_id, send_at, status, sender, subject;
};
Result<std::vector<ScheduledListing>> listScheduled(PgConnection& conn, bool all);
// `waybill schedule cancel ID` (message id or queue id), inside its transaction: the held
// message, locked without waiting (the scheduler may be releasing it right now: an error then).
Result<std::optional<HeldMessage>> lockHeldForCancel(PgConnection& conn, const std::string& id);
// Cancelled by the operator: recipients `cancelled` with one event each.
Status markCancelled(PgConnection& conn, const std::string& message_id, const std::string& queue_id);

}  // namespace waybill::store
