// Fuzzes the request reader of waybill-piped's socket (pipe-transport/pipe_protocol.h): any
// bytes, pushed whole and then again in two pieces, must give the same verdict and never
// exceed the caps.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pipe_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr std::size_t kMax = 1024;
  waybill::pipe::PipeRequestReader whole(kMax);
  whole.push(input);
  waybill::pipe::PipeRequestReader split(kMax);
  const std::size_t half = size / 2;
  const std::size_t used = split.push(input.substr(0, half));
  if (used == half) split.push(input.substr(half));
  if (whole.done() != split.done() || whole.failed() != split.failed()) __builtin_trap();
  if (whole.done() && whole.request().message != split.request().message) __builtin_trap();
  if (whole.request().message.size() > kMax) __builtin_trap();
  if (whole.request().recipient.size() > waybill::pipe::kMaxEnvelopeField) __builtin_trap();
  return 0;
}
