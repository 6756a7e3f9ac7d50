// Fuzzes the policy protocol reader (core/policy/policy_request.cpp): bytes from the network
// must never crash it, grow it past its caps, or parse differently depending on how TCP split
// them. The first input byte picks the chunk size; the rest is the stream.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "policy/policy_request.h"

namespace {

using waybill::policy::PolicyLimits;
using waybill::policy::PolicyRequest;
using waybill::policy::PolicyRequestReader;

struct Outcome {
  std::vector<std::string> recipients;  // one attribute per request stands for the request
  std::size_t attributes = 0;
  bool failed = false;
};

Outcome parse(std::string_view stream, std::size_t chunk, const PolicyLimits& limits) {
  PolicyRequestReader reader(limits);
  Outcome outcome;
  for (std::size_t at = 0; at < stream.size(); at += chunk) {
    reader.push(stream.substr(at, chunk));
    while (auto request = reader.next()) {
      if (request->size() > limits.max_attributes) std::abort();
      outcome.recipients.emplace_back(request->get("recipient"));
      outcome.attributes += request->size();
    }
    if (reader.failed()) break;
  }
  outcome.failed = reader.failed();
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = 1 + data[0] % 64;
  const std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  PolicyLimits limits;
  limits.max_line = 256;  // small caps so the fuzzer reaches them
  limits.max_request = 2048;
  limits.max_attributes = 16;
  const Outcome whole = parse(stream, stream.size() + 1, limits);
  const Outcome split = parse(stream, chunk, limits);
  // Splitting must not change what was parsed before a failure; a failure may come earlier
  // when split (an over-long partial line is refused without waiting for its end), never later.
  if (split.recipients.size() > whole.recipients.size()) std::abort();
  for (std::size_t i = 0; i < split.recipients.size(); ++i)
    if (split.recipients[i] != whole.recipients[i]) std::abort();
  if (!split.failed && (whole.failed || split.recipients.size() != whole.recipients.size())) std::abort();
  (void)waybill::policy::formatPolicyReply(stream.substr(0, 100));
  return 0;
}
