#include "runtime/smtp_client.h"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace waybill::runtime {
namespace {

constexpr std::size_t kMaxReplyBytes = 64 * 1024;  // a server that never ends a reply line
constexpr std::size_t kWriteBatch = 64 * 1024;

bool isAscii(std::string_view text) {
  for (unsigned char c : text)
    if (c >= 0x80) return false;
  return true;
}

bool hasExtension(std::string_view ehlo_text, std::string_view keyword) {
  std::size_t start = 0;
  while (start < ehlo_text.size()) {
    std::size_t end = ehlo_text.find('\n', start);
    if (end == std::string_view::npos) end = ehlo_text.size();
    std::string_view line = ehlo_text.substr(start, end - start);
    if (line.size() >= keyword.size() && strncasecmp(line.data(), keyword.data(), keyword.size()) == 0 &&
        (line.size() == keyword.size() || line[keyword.size()] == ' '))
      return true;
    start = end + 1;
  }
  return false;
}

void setTimeouts(int fd, std::chrono::seconds timeout) {
  timeval value{static_cast<time_t>(timeout.count()), 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, sizeof value);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, sizeof value);  // also bounds connect()
  const int on = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

}  // namespace

Result<sockaddr_in> parseSmtpAddress(const std::string& text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos) return makeError("expected HOST:PORT, e.g. 127.0.0.1:10027");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  if (inet_pton(AF_INET, text.substr(0, colon).c_str(), &address.sin_addr) != 1)
    return makeError("'" + text.substr(0, colon) + "' is not an IPv4 address");
  unsigned port = 0;
  const char* first = text.data() + colon + 1;
  const char* last = text.data() + text.size();
  auto [end, error] = std::from_chars(first, last, port);
  if (error != std::errc() || end != last || port == 0 || port > 65535) return makeError("bad port in '" + text + "'");
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  return address;
}

void SmtpDataEncoder::append(std::string_view bytes, std::string& out) {
  for (char c : bytes) {
    if (at_line_start_ && c == '.') out += '.';
    if (c == '\n' && !after_cr_) out += '\r';
    out += c;
    after_cr_ = c == '\r';
    at_line_start_ = c == '\n';
  }
}

void SmtpDataEncoder::finish(std::string& out) {
  if (!at_line_start_) out += after_cr_ ? "\n" : "\r\n";
  out += ".\r\n";
  at_line_start_ = true;
  after_cr_ = false;
}

std::string SmtpReply::line() const {
  std::string joined = std::to_string(code) + " " + text;
  for (char& c : joined)
    if (c == '\n') c = ' ';
  return joined;
}

std::string SmtpOutcome::queueId() const {
  if (!queued()) return {};
  constexpr std::string_view kMarker = "queued as ";
  const std::size_t at = data->text.find(kMarker);
  if (at == std::string::npos) return {};
  const std::size_t start = at + kMarker.size();
  std::size_t end = start;
  while (end < data->text.size() && std::isalnum(static_cast<unsigned char>(data->text[end]))) ++end;
  return data->text.substr(start, end - start);
}

Result<std::unique_ptr<SmtpClient>> SmtpClient::open(const sockaddr_in& address, Options options) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return makeError(fmt::format("socket: {}", std::strerror(errno)));
  std::unique_ptr<SmtpClient> connection(new SmtpClient(fd, std::move(options)));
  setTimeouts(fd, connection->options_.greeting_timeout);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    connection->usable_ = false;
    return makeError(fmt::format("cannot connect to {}: {}", connection->options_.peer, std::strerror(errno)));
  }
  if (auto hello = connection->greetAndHello(); !hello) return makeError(hello.error());
  setTimeouts(fd, connection->options_.timeout);
  return connection;
}

SmtpClient::~SmtpClient() {
  if (fd_ < 0) return;
  if (usable_) (void)writeAll("QUIT\r\n");  // polite; the answer does not matter
  ::close(fd_);
}

Status SmtpClient::writeAll(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) {
      usable_ = false;
      return makeError(fmt::format("writing to {}: {}", options_.peer, std::strerror(errno)));
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return {};
}

// A reply: lines "DDD-text" ending with "DDD text".
Result<SmtpReply> SmtpClient::readReply() {
  SmtpReply reply;
  for (;;) {
    const std::size_t end = input_.find("\r\n");
    if (end == std::string::npos) {
      if (input_.size() > kMaxReplyBytes) break;
      char buffer[4096];
      const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        usable_ = false;
        return makeError(got == 0 ? fmt::format("{} closed the connection", options_.peer)
                                  : fmt::format("reading from {}: {}", options_.peer, std::strerror(errno)));
      }
      input_.append(buffer, static_cast<std::size_t>(got));
      continue;
    }
    std::string line = input_.substr(0, end);
    input_.erase(0, end + 2);
    if (line.size() < 3 || std::from_chars(line.data(), line.data() + 3, reply.code).ec != std::errc()) break;
    if (!reply.text.empty()) reply.text += '\n';
    reply.text += line.size() > 4 ? line.substr(4) : std::string();
    if (line.size() == 3 || line[3] == ' ') return reply;
  }
  usable_ = false;
  return makeError(fmt::format("{} does not speak SMTP", options_.peer));
}

Status SmtpClient::greetAndHello() {
  auto greeting = readReply();
  if (!greeting) return makeError(greeting.error());
  if (greeting->code != 220)
    return makeError(fmt::format("{} answered {} to the connection", options_.peer, greeting->line()));
  if (auto sent = writeAll("EHLO " + options_.helo + "\r\n"); !sent) return sent;
  auto hello = readReply();
  if (!hello) return makeError(hello.error());
  if (hello->code != 250) return makeError(fmt::format("{} answered {} to EHLO", options_.peer, hello->line()));
  pipelining_ = hasExtension(hello->text, "PIPELINING");
  eight_bit_ = hasExtension(hello->text, "8BITMIME");
  smtputf8_ = hasExtension(hello->text, "SMTPUTF8");
  return {};
}

std::string SmtpClient::mailCommand(const std::string& sender, const std::vector<std::string>& recipients) const {
  std::string command = "MAIL FROM:<" + sender + ">";
  if (eight_bit_) command += " BODY=8BITMIME";
  bool ascii = isAscii(sender);
  for (const auto& recipient : recipients) ascii = ascii && isAscii(recipient);
  if (smtputf8_ && !ascii) command += " SMTPUTF8";
  return command + "\r\n";
}

// Every reply is read whatever the ones before said, so the connection stays in step.
Status SmtpClient::sendEnvelope(const std::string& sender, const std::vector<std::string>& recipients,
                                SmtpOutcome& outcome) {
  const std::string mail = mailCommand(sender, recipients);
  if (pipelining_) {
    std::string commands = mail;
    for (const auto& recipient : recipients) commands += "RCPT TO:<" + recipient + ">\r\n";
    if (auto sent = writeAll(commands + "DATA\r\n"); !sent) return sent;
    auto mail_reply = readReply();
    if (!mail_reply) return makeError(mail_reply.error());
    outcome.mail = *mail_reply;
    for (std::size_t i = 0; i < recipients.size(); ++i) {
      auto reply = readReply();
      if (!reply) return makeError(reply.error());
      outcome.recipients.push_back(*reply);
    }
    auto data_reply = readReply();
    if (!data_reply) return makeError(data_reply.error());
    outcome.data = *data_reply;
    return {};
  }
  auto exchange = [this](const std::string& command) -> Result<SmtpReply> {
    if (auto sent = writeAll(command); !sent) return makeError(sent.error());
    return readReply();
  };
  auto mail_reply = exchange(mail);
  if (!mail_reply) return makeError(mail_reply.error());
  outcome.mail = *mail_reply;
  if (!outcome.mail.positive()) return {};
  bool any_accepted = false;
  for (const auto& recipient : recipients) {
    auto reply = exchange("RCPT TO:<" + recipient + ">\r\n");
    if (!reply) return makeError(reply.error());
    any_accepted = any_accepted || reply->positive();
    outcome.recipients.push_back(*reply);
  }
  if (!any_accepted) return {};
  auto data_reply = exchange("DATA\r\n");
  if (!data_reply) return makeError(data_reply.error());
  outcome.data = *data_reply;
  return {};
}

Status SmtpClient::sendContent(const SmtpContentWriter& content) {
  SmtpDataEncoder encoder;
  std::string out;
  out.reserve(kWriteBatch + 4096);
  Status streamed = content([&](std::string_view chunk) -> Status {
    encoder.append(chunk, out);
    if (out.size() < kWriteBatch) return {};
    Status written = writeAll(out);
    out.clear();
    return written;
  });
  if (!streamed) {
    usable_ = false;  // DATA cannot be taken back: only closing the connection abandons it
    return streamed;
  }
  encoder.finish(out);
  return writeAll(out);
}

void SmtpClient::reset() {
  if (!usable_) return;
  if (!writeAll("RSET\r\n")) return;
  auto reply = readReply();
  if (!reply || reply->code != 250) usable_ = false;
}

Result<SmtpOutcome> SmtpClient::send(const std::string& sender, const std::vector<std::string>& recipients,
                                     const SmtpContentWriter& content) {
  possibly_queued_ = false;
  last_used_ = std::chrono::steady_clock::now();
  if (!usable_) return makeError(fmt::format("the connection to {} is broken", options_.peer));
  ++transactions_;
  SmtpOutcome outcome;
  if (auto envelope = sendEnvelope(sender, recipients, outcome); !envelope) return makeError(envelope.error());
  if (!outcome.data || outcome.data->code != 354) {
    reset();
    return outcome;
  }
  possibly_queued_ = true;  // from here on a broken connection leaves the outcome unknown
  if (auto sent = sendContent(content); !sent) return makeError(sent.error());
  outcome.content_sent = true;
  auto done = readReply();
  if (!done) return makeError(done.error());
  possibly_queued_ = false;  // an answer is a verdict either way
  outcome.data = *done;
  if (done->code != 250) reset();
  last_used_ = std::chrono::steady_clock::now();
  return outcome;
}

}  // namespace waybill::runtime
