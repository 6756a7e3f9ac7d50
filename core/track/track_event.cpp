#include "track/track_event.h"

#include <array>
#include <charconv>
#include <cstring>
#include <iterator>

#include "text/char_escapes.h"
#include "text/name_table.h"
#include "util/sha256.h"

namespace waybill::track {
namespace {

constexpr std::string_view kMagic = "W1";
constexpr std::size_t kFields = 10;  // magic + 9 event fields

// The field separator, the line end and the escape character itself, each as a backslash escape.
constexpr CharEscape kSpoolEscapes[] = {{'\\', "\\\\"}, {'\t', "\\t"}, {'\n', "\\n"}, {'\r', "\\r"}};

constexpr NameTable<EventType, 3> kEventTypeNames{
    {{{EventType::Opened, "opened"}, {EventType::Clicked, "clicked"}, {EventType::Unsubscribed, "unsubscribed"}}},
    "opened"};

bool unescape(std::string_view field, std::string& out) {
  out.clear();
  out.reserve(field.size());
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] != '\\') {
      out += field[i];
      continue;
    }
    if (++i == field.size()) return false;
    const char code = field[i];
    const auto* escape = std::find_if(std::begin(kSpoolEscapes), std::end(kSpoolEscapes),
                                      [code](const CharEscape& e) { return e.escaped[1] == code; });
    if (escape == std::end(kSpoolEscapes)) return false;
    out += escape->plain;
  }
  return true;
}

bool knownType(std::string_view text) { return text == "o" || text == "c" || text == "u"; }

bool parseLine(std::string_view line, TrackEvent& event) {
  std::array<std::string_view, kFields> fields;
  std::size_t count = 0;
  for (;;) {
    if (count == kFields) return false;  // more fields than a record has
    const std::size_t tab = line.find('\t');
    fields[count++] = line.substr(0, tab);
    if (tab == std::string_view::npos) break;
    line.remove_prefix(tab + 1);
  }
  if (count != kFields) return false;
  if (fields[0] != kMagic || !knownType(fields[2])) return false;
  auto id = Uuid::parse(fields[1]);
  auto recipient = Uuid::parse(fields[4]);
  if (!id || !recipient) return false;
  const auto [end, error] = std::from_chars(fields[3].data(), fields[3].data() + fields[3].size(), event.occurred_us);
  if (error != std::errc() || end != fields[3].data() + fields[3].size()) return false;
  event.id = *id;
  event.type = static_cast<EventType>(fields[2][0]);
  event.recipient_id = *recipient;
  return unescape(fields[5], event.url) && unescape(fields[6], event.ip) && unescape(fields[7], event.user_agent) &&
         unescape(fields[8], event.machine_reason) && unescape(fields[9], event.scope);
}

}  // namespace

void appendEscaped(std::string& out, std::string_view field) { appendWithEscapes(out, field, kSpoolEscapes); }

const char* eventTypeName(EventType type) { return kEventTypeNames.nameOf(type); }

std::string encodeSpoolRecord(const TrackEvent& event) {
  std::string out;
  out.reserve(96 + event.url.size() + event.user_agent.size());
  out += kMagic;
  out += '\t';
  out += event.id.toString();
  out += '\t';
  out += static_cast<char>(event.type);
  out += '\t';
  out += std::to_string(event.occurred_us);
  out += '\t';
  out += event.recipient_id.toString();
  for (std::string_view field : {std::string_view(event.url), std::string_view(event.ip),
                                 std::string_view(event.user_agent), std::string_view(event.machine_reason),
                                 std::string_view(event.scope)}) {
    out += '\t';
    appendEscaped(out, field);
  }
  out += '\n';
  return out;
}

SpoolParse parseSpool(std::string_view text) {
  SpoolParse parsed;
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    if (newline == std::string_view::npos) {  // torn tail: the write never completed
      ++parsed.rejected_lines;
      break;
    }
    TrackEvent event;
    if (parseLine(text.substr(0, newline), event)) parsed.events.push_back(std::move(event));
    else ++parsed.rejected_lines;
    text.remove_prefix(newline + 1);
  }
  return parsed;
}

EventIdSource::EventIdSource() {
  const Uuid seed = Uuid::random();
  std::memcpy(&prefix_, seed.bytes.data(), sizeof prefix_);
}

Uuid EventIdSource::next() {
  const std::uint64_t n = counter_.fetch_add(1, std::memory_order_relaxed);
  Uuid id;
  std::memcpy(id.bytes.data(), &prefix_, 8);
  for (int i = 0; i < 8; ++i) id.bytes[8 + i] = static_cast<std::uint8_t>(n >> (8 * (7 - i)));
  id.bytes[6] = static_cast<std::uint8_t>((id.bytes[6] & 0x0f) | 0x40);  // version 4
  // The variant bits take the counter's top two bits, which a process never reaches.
  id.bytes[8] = static_cast<std::uint8_t>((id.bytes[8] & 0x3f) | 0x80);
  return id;
}

Uuid unsubscribeEventId(const Uuid& recipient_id) {
  static constexpr std::string_view kLabel = "waybill-unsubscribe:";
  const Sha256::Digest digest =
      Sha256().update(kLabel).update({reinterpret_cast<const char*>(recipient_id.bytes.data()), recipient_id.bytes.size()}).finish();
  Uuid id;
  std::memcpy(id.bytes.data(), digest.data(), id.bytes.size());
  id.bytes[6] = static_cast<std::uint8_t>((id.bytes[6] & 0x0f) | 0x50);  // name-based (v5-like)
  id.bytes[8] = static_cast<std::uint8_t>((id.bytes[8] & 0x3f) | 0x80);
  return id;
}

}  // namespace waybill::track
