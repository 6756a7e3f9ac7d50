#include "track/track_event.h"

#include <gtest/gtest.h>

#include <set>

#include "store/event_store.h"

namespace waybill::track {
namespace {

TrackEvent sampleEvent() {
  TrackEvent event;
  event.id = Uuid::random();
  event.type = EventType::Clicked;
  event.occurred_us = 1'790'000'000'123'456;
  event.recipient_id = Uuid::random();
  event.url = "https://a.example/x?q=1\t2\\3";
  event.ip = "2001:db8::1";
  event.user_agent = "agent\nwith\r\nbreaks";
  event.machine_reason = "link_scanner";
  return event;
}

TEST(SpoolRecord, RoundTripsEveryField) {
  const TrackEvent event = sampleEvent();
  const std::string line = encodeSpoolRecord(event);
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);  // one line, whatever the fields hold
  const SpoolParse parsed = parseSpool(line + line);
  ASSERT_EQ(parsed.events.size(), 2u);
  EXPECT_EQ(parsed.events[0], event);
  EXPECT_EQ(parsed.rejected_lines, 0u);
}

TEST(SpoolRecord, TornTailAndGarbageAreSkippedAndCounted) {
  const TrackEvent event = sampleEvent();
  const std::string line = encodeSpoolRecord(event);
  const std::string text = "garbage\n" + line + "W1\tnot-a-uuid\to\t1\tx\t\t\t\t\t\n" + line.substr(0, 20);
  const SpoolParse parsed = parseSpool(text);
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(parsed.events[0], event);
  EXPECT_EQ(parsed.rejected_lines, 3u);
}

TEST(SpoolRecord, RejectsBadEscapesAndExtraFields) {
  std::string line = encodeSpoolRecord(sampleEvent());
  line.insert(line.size() - 1, "\textra");
  EXPECT_EQ(parseSpool(line).rejected_lines, 1u);
  std::string bad_escape = encodeSpoolRecord(sampleEvent());
  bad_escape.insert(bad_escape.size() - 1, "\\q");
  EXPECT_EQ(parseSpool(bad_escape).events.size(), 0u);
}

TEST(EventIds, UniqueAndVersion4Shaped) {
  EventIdSource ids;
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    const Uuid id = ids.next();
    EXPECT_EQ(id.bytes[6] >> 4, 4);
    EXPECT_EQ(id.bytes[8] >> 6, 2);
    seen.insert(id.toString());
  }
  EXPECT_EQ(seen.size(), 10000u);
  EXPECT_NE(EventIdSource().next(), EventIdSource().next());  // instances differ
}

TEST(EventIds, UnsubscribeIdDependsOnTheRecipientOnly) {
  const Uuid a = Uuid::random();
  EXPECT_EQ(unsubscribeEventId(a), unsubscribeEventId(a));
  EXPECT_NE(unsubscribeEventId(a), unsubscribeEventId(Uuid::random()));
}

TEST(CopyRow, EscapesAndNulls) {
  TrackEvent event = sampleEvent();
  event.ip.clear();
  event.machine_reason.clear();
  event.user_agent = std::string("a\tb\\c\0d\xff", 9);
  const std::string row = copyRow(event);
  EXPECT_NE(row.find("\tclicked\t1790000000123456\t"), std::string::npos);
  EXPECT_NE(row.find("\t\\N\ta\\tb\\\\cd\xEF\xBF\xBD\t\\N\t\\N\n"), std::string::npos) << row;
}

}  // namespace
}  // namespace waybill::track
