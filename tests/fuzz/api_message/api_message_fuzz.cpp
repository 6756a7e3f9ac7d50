// Fuzzes the HTTP API's JSON-to-message path (core/api parsers, core/mail/message_builder): the
// first byte picks the dialect, the rest is the request body. A parser must answer every body
// with messages or a field error (never throw or crash); every message it accepts must build or
// be refused with a field error, and a built message must be well formed: CRLF line ends only,
// no line over 998 octets, a header block ended by an empty line, no Bcc header, no raw 8-bit
// byte in a header outside the control headers (the milter removes those), and envelope
// recipients for every To/Cc/Bcc.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "api/native_request.h"
#include "api/postmark_request.h"
#include "api/sendgrid_request.h"
#include "mail/message_builder.h"

namespace {

using waybill::api::FieldResult;
using waybill::api::RequestLimits;
using waybill::api::Submission;

void check(bool condition) {
  if (!condition) std::abort();
}

bool startsWithIgnoreCase(std::string_view line, std::string_view prefix) {
  if (line.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if ((line[i] | 0x20) != (prefix[i] | 0x20)) return false;
  return true;
}

void checkBuilt(const waybill::mail::BuiltMessage& built) {
  const std::string& message = built.message;
  check(!message.empty() && message.ends_with("\r\n"));
  bool in_headers = true;
  bool saw_header_end = false;
  bool in_control_header = false;
  std::size_t start = 0;
  while (start < message.size()) {
    const std::size_t end = message.find("\r\n", start);
    check(end != std::string::npos);
    const std::string_view line(message.data() + start, end - start);
    check(line.find('\r') == std::string_view::npos && line.find('\n') == std::string_view::npos);
    check(line.size() <= 998);
    if (in_headers) {
      if (line.empty()) {
        in_headers = false;
        saw_header_end = true;
      } else if (line[0] == ' ' || line[0] == '\t') {
        check(line.find_first_not_of(" \t") != std::string_view::npos);  // no blank continuation
      } else {
        check(line.find(':') != std::string_view::npos && line[0] != ':');
        check(!startsWithIgnoreCase(line, "bcc:"));
        in_control_header = startsWithIgnoreCase(line, "x-waybill-");
      }
      if (!line.empty() && !in_control_header)
        for (char c : line) check(static_cast<unsigned char>(c) < 0x80);
    }
    start = end + 2;
  }
  check(saw_header_end);
  check(!built.envelope_recipients.empty());
  check(built.message_id.front() == '<' && built.message_id.back() == '>');
}

void buildAndCheck(const Submission& submission) {
  int counter = 0;
  waybill::mail::BuildContext context{"mail.example.com", [&] { return "f" + std::to_string(++counter); },
                                      [] { return std::chrono::system_clock::from_time_t(1796115600); }};
  auto built = waybill::mail::buildMessage(submission, context);
  if (!built) return;
  checkBuilt(*built);
  check(built->envelope_recipients.size() <= submission.recipientCount());
}

// What each kind of parser answers, built and checked.
void buildFrom(const FieldResult<Submission>& message) {
  if (message) buildAndCheck(*message);
}
void buildFrom(const FieldResult<std::vector<FieldResult<Submission>>>& batch) {
  if (!batch) return;
  for (const auto& item : *batch)
    if (item) buildAndCheck(*item);
}
void buildFrom(const FieldResult<std::vector<Submission>>& messages) {
  if (!messages) return;
  for (const auto& message : *messages) buildAndCheck(message);
}

template <auto parse>
void parseAndBuild(std::string_view body, const RequestLimits& limits) {
  buildFrom(parse(body, limits));
}

// Every entry point of the API, chosen by the input's first byte.
constexpr void (*kEntryPoints[])(std::string_view, const RequestLimits&) = {
    parseAndBuild<waybill::api::parseNativeMessage>,        parseAndBuild<waybill::api::parseNativeBatch>,
    parseAndBuild<waybill::api::parsePostmarkEmail>,        parseAndBuild<waybill::api::parsePostmarkWithTemplate>,
    parseAndBuild<waybill::api::parsePostmarkBatch>,        parseAndBuild<waybill::api::parsePostmarkBatchWithTemplates>,
    parseAndBuild<waybill::api::parseSendGridMail>};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  RequestLimits limits;
  limits.max_body_bytes = 64u << 10;
  limits.max_batch = 8;  // small caps so the fuzzer reaches them
  kEntryPoints[data[0] % std::size(kEntryPoints)](body, limits);
  return 0;
}
