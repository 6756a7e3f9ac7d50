// TrackEvent: one open, click or unsubscription as waybill-trackd records it, and its spool
// record: one text line appended to a local file before the HTTP response goes out, read back
// by the database writer (and after a crash). The event id is minted once, written into the
// record, and is the events primary key, so replaying a record never counts it twice.
//
//   std::string line = encodeSpoolRecord(event);     // "W1\t...\n"
//   SpoolParse parsed = parseSpool(file_text);       // events + count of torn/garbled lines
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/uuid.h"

namespace waybill::track {

enum class EventType : char { Opened = 'o', Clicked = 'c', Unsubscribed = 'u' };
const char* eventTypeName(EventType type);  // the events.type value

struct TrackEvent {
  Uuid id;
  EventType type = EventType::Opened;
  std::int64_t occurred_us = 0;  // microseconds since the Unix epoch
  Uuid recipient_id;
  std::string url;             // clicks: the signed target URL
  std::string ip;              // client address, empty when unknown
  std::string user_agent;
  std::string machine_reason;  // empty: looks human
  std::string scope;           // unsubscriptions: sender | domain | global
  bool operator==(const TrackEvent&) const = default;
};

std::string encodeSpoolRecord(const TrackEvent& event);
// Fields are tab-separated; a backslash escapes backslash, tab, newline and CR inside a field.
// This is also PostgreSQL's COPY text format, so the database writer uses it too.
void appendEscaped(std::string& out, std::string_view field);

struct SpoolParse {
  std::vector<TrackEvent> events;
  std::size_t rejected_lines = 0;  // torn tail after a crash, or damage: skipped, counted
};
SpoolParse parseSpool(std::string_view text);

// Unique event ids without a syscall per request: a random 64-bit instance prefix and a counter,
// shaped as a version-4 UUID. Thread safe.
class EventIdSource {
 public:
  EventIdSource();
  Uuid next();

 private:
  std::uint64_t prefix_;
  std::atomic<std::uint64_t> counter_{0};
};

// Unsubscribing twice is one event: its id is derived from the recipient alone.
Uuid unsubscribeEventId(const Uuid& recipient_id);

}  // namespace waybill::track
