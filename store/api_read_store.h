// ApiReadStore: what waybill-apid reads back for an application: one message with its
// recipients and their event timelines, and pages of events. Every read is limited to messages
// whose From domain is one of the key's sender domains, so one application never sees another's mail.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/pg_connection.h"
#include "util/result.h"

namespace waybill::store {

// A JSON object: {"message_id", "from", "subject", "tags", "metadata", "created_at", "recipients": [{"id", "to",
// "status", "status_detail", "events": [{"type", "occurred_at", "details"}]}]}; nullopt when there
// is no such message the key may see.
Result<std::optional<std::string>> messageWithTimeline(PgConnection& conn, const std::string& message_id_header,
                                                        const std::vector<std::string>& domains);

struct EventQuery {
  std::vector<std::string> domains;  // the key's sender domains
  std::optional<std::string> recipient;  // lower-cased
  std::optional<std::string> type;
  std::optional<std::string> since;      // ISO 8601
  // (occurred_at, "id|rank") of the last event seen, as EventPage::last gave it
  std::optional<std::pair<std::string, std::string>> after;
  int limit = 100;
};

struct EventPage {
  std::string events_json;  // [{"id", "type", "occurred_at", "message_id", "recipient_id", "recipient", "details"}]
  std::optional<std::pair<std::string, std::string>> last;  // set when the page is full: where the next begins
};

Result<EventPage> eventPage(PgConnection& conn, const EventQuery& query);

}  // namespace waybill::store
