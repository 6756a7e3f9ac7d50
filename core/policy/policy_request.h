// PolicyRequest / PolicyRequestReader: the Postfix SMTP access policy delegation protocol
// (SMTPD_POLICY_README): "name=value\n" lines ending with an empty line; the answer is
// "action=...\n\n". The reader takes bytes in any chunking and caps every size, so a client
// can neither grow our memory nor make us guess; garbage puts it in a sticky error state.
//
//   PolicyRequestReader reader;
//   reader.push(bytes);
//   while (auto request = reader.next()) decide(*request);
//   if (reader.failed()) { write(formatPolicyReply("DEFER_IF_PERMIT 4.3.5 ...")); close(); }
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace waybill::policy {

struct PolicyLimits {
  std::size_t max_line = 4096;           // one name=value line (Postfix's line_length_limit is 2048)
  std::size_t max_request = 64 * 1024;   // all lines of one request
  std::size_t max_attributes = 128;      // Postfix sends about 30
};

// The attributes of one request. All names and values live in one buffer (two allocations per
// request instead of two per attribute: this is policyd's hot path).
class PolicyRequest {
 public:
  // The value of an attribute; empty when absent (Postfix sends empty values too).
  std::string_view get(std::string_view name) const;
  bool has(std::string_view name) const;
  void add(std::string_view name, std::string_view value);
  std::size_t size() const { return attributes_.size(); }

 private:
  struct Span {
    std::uint32_t offset, length;
  };
  std::string_view view(Span span) const { return std::string_view(text_).substr(span.offset, span.length); }
  std::string text_;
  std::vector<std::pair<Span, Span>> attributes_;  // (name, value) in text_
};

class PolicyRequestReader {
 public:
  explicit PolicyRequestReader(PolicyLimits limits = {}) : limits_(limits) {}

  // Appends received bytes; cheap, parsing happens in next().
  void push(std::string_view bytes);
  // The next complete request, if the bytes pushed so far hold one.
  std::optional<PolicyRequest> next();
  // A malformed or oversized request was seen; the connection should be answered and closed.
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  // Bytes received but not yet part of a complete request (a half request at close time).
  bool hasPartialRequest() const { return consumed_ < buffer_.size() || current_.size() > 0; }

 private:
  bool fail(std::string reason);
  bool takeLine(std::string_view line);

  PolicyLimits limits_;
  std::string buffer_;
  std::size_t consumed_ = 0;        // bytes of buffer_ already parsed into current_
  std::size_t request_bytes_ = 0;   // bytes of the request being assembled
  PolicyRequest current_;
  std::string error_;
};

// "DUNNO" -> "action=DUNNO\n\n". Line breaks in the action are replaced: they would end the reply.
std::string formatPolicyReply(std::string_view action);

}  // namespace waybill::policy
