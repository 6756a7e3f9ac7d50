// PipeProtocol implementation: netstring framing, the request reader's state machine, answers.
#include "pipe_protocol.h"

#include <charconv>

namespace waybill::pipe {

std::string netstring(std::string_view bytes) {
  std::string out = std::to_string(bytes.size());
  out += ':';
  out.append(bytes);
  out += ',';
  return out;
}

std::size_t PipeRequestReader::fail(std::string why, std::size_t used) {
  state_ = State::Failed;
  error_ = std::move(why);
  return used;
}

std::size_t PipeRequestReader::limitOfFrame() const { return frame_ < 3 ? kMaxEnvelopeField : kMaxChunk; }

void PipeRequestReader::finishFrame() {
  if (frame_ >= 3 && length_ == 0) {
    state_ = State::Done;
    return;
  }
  ++frame_;
  state_ = State::Length;
  length_ = got_ = digits_ = 0;
}

std::size_t PipeRequestReader::push(std::string_view bytes) {
  std::size_t used = 0;
  while (used < bytes.size() && state_ != State::Done && state_ != State::Failed) {
    const char c = bytes[used];
    if (state_ == State::Length) {
      ++used;
      if (c == ':') {
        if (digits_ == 0) return fail("netstring without a length", used);
        state_ = length_ == 0 ? State::Comma : State::Payload;
      } else if (c >= '0' && c <= '9' && digits_ < 8) {
        length_ = length_ * 10 + static_cast<std::size_t>(c - '0');
        ++digits_;
        if (length_ > limitOfFrame()) return fail("netstring longer than allowed", used);
      } else {
        return fail("bad netstring length", used);
      }
    } else if (state_ == State::Payload) {
      const std::size_t take = std::min(length_ - got_, bytes.size() - used);
      const std::string_view piece = bytes.substr(used, take);
      if (frame_ == 0) request_.sender.append(piece);
      if (frame_ == 1) request_.recipient.append(piece);
      if (frame_ == 2) request_.queue_id.append(piece);
      if (frame_ >= 3) {
        const std::size_t room = max_message_ - std::min(max_message_, request_.message.size());
        request_.message.append(piece.substr(0, room));
        if (piece.size() > room) request_.truncated = true;  // the rest is read and dropped
      }
      got_ += take;
      used += take;
      if (got_ == length_) state_ = State::Comma;
    } else {  // State::Comma
      ++used;
      if (c != ',') return fail("netstring not ended by ','", used);
      finishFrame();
    }
  }
  return used;
}

std::string formatAnswer(const PipeAnswer& answer) {
  std::string text = answer.text;
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return std::to_string(answer.exit_code) + " " + text + "\n";
}

std::optional<PipeAnswer> parseAnswer(std::string_view line) {
  PipeAnswer answer;
  const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), answer.exit_code);
  if (ec != std::errc() || end == line.data() || answer.exit_code < 0 || answer.exit_code > 255) return std::nullopt;
  std::string_view rest = line.substr(static_cast<std::size_t>(end - line.data()));
  if (!rest.empty() && rest.front() != ' ') return std::nullopt;
  if (!rest.empty()) rest.remove_prefix(1);
  answer.text = std::string(rest);
  return answer;
}

}  // namespace waybill::pipe
