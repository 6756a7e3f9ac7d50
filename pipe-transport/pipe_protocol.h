// PipeProtocol: what the thin waybill-pipe and waybill-piped --serve say to each other on the
// unix socket. Standard library only, because the thin client links it and must stay small.
//
//   daemon: "WAYBILL-PIPED 1 READY\n"  (or "... BUSY\n": the client runs the one-shot program)
//   client: netstrings (Postfix socketmap style, "LEN:BYTES,"): sender, recipient, queue id,
//           then the message in chunks, then the empty netstring "0:," that ends the message
//   daemon: "EXIT TEXT\n" (0 stored / 75 tempfail ...) only after the commit, then closes
//
// The explicit end frame is why a client that dies mid-message never gets a truncated message
// stored: without "0:," the daemon stores nothing.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace waybill::pipe {

inline constexpr int kExitTempFail = 75;  // sysexits.h EX_TEMPFAIL: Postfix keeps the message
inline constexpr std::string_view kGreetingReady = "WAYBILL-PIPED 1 READY\n";
inline constexpr std::string_view kGreetingBusy = "WAYBILL-PIPED 1 BUSY\n";
inline constexpr std::size_t kMaxEnvelopeField = 4096;  // RFC 5321 paths are far shorter
inline constexpr std::size_t kMaxChunk = 1u << 20;      // the client sends 64 KB chunks
// Defaults shared with core/config (PipeConfig); a unit test keeps the two in step.
inline constexpr std::string_view kDefaultSocket = "unix:/run/waybill/pipe.sock";
inline constexpr int kDefaultTimeoutSeconds = 60;

std::string netstring(std::string_view bytes);

struct PipeRequest {
  std::string sender;
  std::string recipient;
  std::string queue_id;
  std::string message;
  bool truncated = false;  // the message was longer than the limit and was cut
};

// Reads a request pushed in arbitrary pieces; caps every size. After done() or failed() it
// takes no more input.
class PipeRequestReader {
 public:
  explicit PipeRequestReader(std::size_t max_message_bytes) : max_message_(max_message_bytes) {}

  // Returns the bytes consumed (all of them unless done() or failed() became true).
  std::size_t push(std::string_view bytes);
  bool done() const { return state_ == State::Done; }
  bool failed() const { return state_ == State::Failed; }
  const std::string& error() const { return error_; }
  PipeRequest& request() { return request_; }

 private:
  enum class State { Length, Payload, Comma, Done, Failed };
  std::size_t fail(std::string why, std::size_t used);
  void finishFrame();
  std::size_t limitOfFrame() const;

  const std::size_t max_message_;
  State state_ = State::Length;
  std::size_t frame_ = 0;      // frames finished so far: 0-2 envelope, then message chunks
  std::size_t length_ = 0;     // of the frame being read
  std::size_t got_ = 0;        // payload bytes of it read so far
  std::size_t digits_ = 0;
  PipeRequest request_;
  std::string error_;
};

struct PipeAnswer {
  int exit_code = 75;  // sysexits: 0 stored, 75 EX_TEMPFAIL
  std::string text;    // one line for the log / Postfix's defer reason
};

std::string formatAnswer(const PipeAnswer& answer);
// Parses "EXIT TEXT\n" (the newline already stripped); nullopt when malformed.
std::optional<PipeAnswer> parseAnswer(std::string_view line);

}  // namespace waybill::pipe
