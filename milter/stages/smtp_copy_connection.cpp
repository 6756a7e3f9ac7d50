#include "stages/smtp_copy_connection.h"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace waybill::milter {
namespace {

constexpr std::size_t kMaxReplyBytes = 64 * 1024;  // a listener that never ends a reply line
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

Result<sockaddr_in> parseCopyListener(const std::string& text) {
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

Result<std::unique_ptr<SmtpCopyConnection>> SmtpCopyConnection::open(const sockaddr_in& address,
                                                                     std::chrono::seconds greeting_timeout,
                                                                     std::chrono::seconds timeout) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return makeError(fmt::format("socket: {}", std::strerror(errno)));
  std::unique_ptr<SmtpCopyConnection> connection(new SmtpCopyConnection(fd));
  setTimeouts(fd, greeting_timeout);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
    return makeError(fmt::format("cannot connect to the copy listener: {}", std::strerror(errno)));
  if (auto hello = connection->greetAndHello(); !hello)
    return makeError(hello.error() + " (are all its smtpd processes busy? master.cf maxproc >= milter.copy_connections)");
  setTimeouts(fd, timeout);
  return connection;
}

SmtpCopyConnection::~SmtpCopyConnection() {
  if (fd_ < 0) return;
  if (usable_) (void)writeAll("QUIT\r\n");  // polite; the answer does not matter
  ::close(fd_);
}

Status SmtpCopyConnection::writeAll(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) {
      usable_ = false;
      return makeError(fmt::format("writing to the copy listener: {}", std::strerror(errno)));
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return {};
}

// A reply: lines "DDD-text" ending with "DDD text"; the text of all lines joined by '\n'.
Result<SmtpCopyConnection::Reply> SmtpCopyConnection::readReply() {
  Reply reply;
  for (;;) {
    const std::size_t end = input_.find("\r\n");
    if (end == std::string::npos) {
      if (input_.size() > kMaxReplyBytes) break;
      char buffer[4096];
      const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        usable_ = false;
        return makeError(got == 0 ? std::string("the copy listener closed the connection")
                                  : fmt::format("reading from the copy listener: {}", std::strerror(errno)));
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
  return makeError("the copy listener does not speak SMTP");
}

Status SmtpCopyConnection::expect(const Result<Reply>& reply, int wanted, const char* step) {
  if (!reply) return makeError(reply.error());
  if (reply->code == wanted) return {};
  return makeError(fmt::format("the copy listener answered {} {} to {}", reply->code, reply->text, step));
}

Status SmtpCopyConnection::greetAndHello() {
  if (auto greeting = expect(readReply(), 220, "the connection"); !greeting) return greeting;
  if (auto sent = writeAll("EHLO waybill-milter\r\n"); !sent) return sent;
  auto hello = readReply();
  if (auto answered = expect(hello, 250, "EHLO"); !answered) return answered;
  pipelining_ = hasExtension(hello->text, "PIPELINING");
  eight_bit_ = hasExtension(hello->text, "8BITMIME");
  smtputf8_ = hasExtension(hello->text, "SMTPUTF8");
  return {};
}

std::string SmtpCopyConnection::mailCommand(const std::string& sender, const std::string& recipient) const {
  std::string command = "MAIL FROM:<" + sender + ">";
  if (eight_bit_) command += " BODY=8BITMIME";
  if (smtputf8_ && (!isAscii(sender) || !isAscii(recipient))) command += " SMTPUTF8";
  return command + "\r\n";
}

Status SmtpCopyConnection::sendContent(const std::string& header_block, const mime::BodySpool& body) {
  SmtpDataEncoder encoder;
  std::string out;
  out.reserve(kWriteBatch + 4096);
  encoder.append(header_block, out);
  Status streamed = body.forEachChunk([&](std::string_view chunk) -> Status {
    encoder.append(chunk, out);
    if (out.size() < kWriteBatch) return {};
    Status written = writeAll(out);
    out.clear();
    return written;
  });
  if (!streamed) return streamed;
  encoder.finish(out);
  return writeAll(out);
}

Status SmtpCopyConnection::send(const std::string& sender, const std::string& recipient, const std::string& header_block,
                                const mime::BodySpool& body) {
  possibly_queued_ = false;
  last_used_ = std::chrono::steady_clock::now();
  if (!usable_) return makeError("the connection to the copy listener is broken");
  ++transactions_;
  const std::string mail = mailCommand(sender, recipient);
  const std::string rcpt = "RCPT TO:<" + recipient + ">\r\n";
  Status envelope;
  if (pipelining_) {
    if (auto sent = writeAll(mail + rcpt + "DATA\r\n"); !sent) return sent;
    // Read all three answers so the connection stays in step whatever they say.
    auto mail_reply = readReply();
    auto rcpt_reply = mail_reply ? readReply() : mail_reply;
    auto data_reply = rcpt_reply ? readReply() : rcpt_reply;
    envelope = expect(mail_reply, 250, "MAIL FROM");
    if (envelope) envelope = expect(rcpt_reply, 250, "RCPT TO");
    if (envelope) envelope = expect(data_reply, 354, "DATA");
  } else {
    envelope = writeAll(mail);
    if (envelope) envelope = expect(readReply(), 250, "MAIL FROM");
    if (envelope) envelope = writeAll(rcpt);
    if (envelope) envelope = expect(readReply(), 250, "RCPT TO");
    if (envelope) envelope = writeAll("DATA\r\n");
    if (envelope) envelope = expect(readReply(), 354, "DATA");
  }
  if (!envelope) {
    usable_ = false;  // simpler than RSET after a refusal; refusals are rare
    return envelope;
  }
  possibly_queued_ = true;  // from here on a broken connection leaves the outcome unknown
  if (auto sent = sendContent(header_block, body); !sent) return sent;
  auto done = readReply();
  if (done) possibly_queued_ = false;  // an answer is a verdict either way
  if (auto accepted = expect(done, 250, "the end of data"); !accepted) {
    if (done) usable_ = false;
    return accepted;
  }
  last_used_ = std::chrono::steady_clock::now();
  return {};
}

}  // namespace waybill::milter
