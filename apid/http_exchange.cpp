#include "http_exchange.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cerrno>
#include <chrono>

#include "runtime/log.h"
#include "text/ascii_text.h"
#include "tls_connection.h"

namespace waybill::apid {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr std::uint32_t kHeaderLimit = 16 * 1024;

// A blocking socket as Beast's SyncReadStream / SyncWriteStream: SO_RCVTIMEO and SO_SNDTIMEO
// bound each call (Asio's own sockets would wait in poll() past them).
class SocketStream {
 public:
  explicit SocketStream(int fd) : fd_(fd) {}

  template <class Buffers>
  std::size_t read_some(const Buffers& buffers, beast::error_code& ec) {
    for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers); ++it) {
      asio::mutable_buffer buffer = *it;
      if (buffer.size() == 0) continue;
      for (;;) {
        const ssize_t got = ::recv(fd_, buffer.data(), buffer.size(), 0);
        if (got < 0 && errno == EINTR) continue;
        if (got > 0) {
          ec = {};
          return static_cast<std::size_t>(got);
        }
        ec = got == 0 ? beast::error_code(asio::error::eof) : failure();
        return 0;
      }
    }
    ec = {};
    return 0;
  }

  template <class Buffers>
  std::size_t write_some(const Buffers& buffers, beast::error_code& ec) {
    std::size_t total = 0;
    for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers); ++it) {
      asio::const_buffer buffer = *it;
      while (buffer.size() > 0) {
        const ssize_t sent = ::send(fd_, buffer.data(), buffer.size(), MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) continue;
        if (sent < 0) {
          ec = failure();
          return total;
        }
        total += static_cast<std::size_t>(sent);
        buffer += static_cast<std::size_t>(sent);
      }
    }
    ec = {};
    return total;
  }
  // The throwing forms the stream concepts ask for (Beast's calls here pass an error_code).
  template <class Buffers>
  std::size_t read_some(const Buffers& buffers) {
    return orThrow([&](beast::error_code& ec) { return read_some(buffers, ec); });
  }
  template <class Buffers>
  std::size_t write_some(const Buffers& buffers) {
    return orThrow([&](beast::error_code& ec) { return write_some(buffers, ec); });
  }

 private:
  template <class Call>
  static std::size_t orThrow(Call call) {
    beast::error_code ec;
    const std::size_t n = call(ec);
    if (ec) throw beast::system_error(ec);
    return n;
  }
  static beast::error_code failure() {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return asio::error::timed_out;
    return {errno, boost::system::system_category()};
  }
  int fd_;
};

void setTimeouts(int fd, int seconds) {
  timeval value{seconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, sizeof value);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, sizeof value);
  const int on = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);  // fails harmlessly on a UNIX socket
}

// After an answer sent before the whole request was read (413, 431, 400): closing at once with
// unread input makes the kernel reset the connection, and the client loses the answer while it is
// still sending. So our side is shut, and what the client still sends is read and dropped for a
// few seconds at most (nginx's lingering close).
void lingerAndClose(int fd) {
  ::shutdown(fd, SHUT_WR);
  timeval second{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &second, sizeof second);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  char scratch[65536];
  while (std::chrono::steady_clock::now() < until) {
    const ssize_t got = ::recv(fd, scratch, sizeof scratch, 0);
    if (got == 0 || (got < 0 && errno != EINTR)) break;
  }
}

std::string pathOf(beast::string_view target) {
  const std::string text(target.data(), target.size());
  return text.substr(0, text.find('?'));
}

template <class Stream>
bool write(Stream& stream, const HttpResponse& answer, bool keep_alive) {
  http::response<http::string_body> response{static_cast<http::status>(answer.status), 11};
  if (!answer.content_type.empty()) response.set(http::field::content_type, answer.content_type);
  for (const auto& [name, value] : answer.headers) response.set(name, value);
  response.body() = answer.body;
  response.keep_alive(keep_alive);
  response.prepare_payload();
  beast::error_code ec;
  http::write(stream, response, ec);
  return !ec;
}

// Requests on `stream` until the client is done. An answer sent before the whole request was
// read ends the connection: true then, so the caller lingers before closing.
template <class Stream>
bool serveRequests(Stream& stream, const ExchangeOptions& options, const std::function<HttpResponse(const HttpRequest&)>& handle,
                   const TransportError& transport_error) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(options.max_body_bytes);
    beast::error_code ec;
    http::read(stream, buffer, parser, ec);
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::timed_out) return false;
    if (ec) {
      const std::string path = parser.is_header_done() ? pathOf(parser.get().target()) : std::string();
      if (ec == http::error::body_limit)
        write(stream, transport_error(413, path, "the request body is over the limit of " +
                                                     std::to_string(options.max_body_bytes) + " bytes"), false);
      else if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
        write(stream, transport_error(431, path, "the request headers are too large"), false);
      else if (ec != http::error::partial_message)
        write(stream, transport_error(400, path, "malformed HTTP request: " + ec.message()), false);
      else
        return false;
      return true;
    }
    const auto& message = parser.get();
    HttpRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    for (const auto& field : message) {
      request.headers[toLower(std::string_view(field.name_string().data(), field.name_string().size()))] =
          std::string(field.value());
    }
    request.body = message.body();
    const bool keep_alive = message.keep_alive();
    if (!write(stream, handle(request), keep_alive) || !keep_alive) return false;
  }
}

}  // namespace

void serveHttpConnection(int fd, const ExchangeOptions& options, const std::function<HttpResponse(const HttpRequest&)>& handle,
                         const TransportError& transport_error) {
  setTimeouts(fd, options.timeout_seconds);
  bool linger = false;
  if (options.tls == nullptr) {
    SocketStream stream(fd);
    linger = serveRequests(stream, options, handle, transport_error);
  } else {
    TlsSession session(options.tls, fd);
    if (!session.established()) {
      log::debug("TLS handshake failed: {}", session.failure());
      return;
    }
    linger = serveRequests(session, options, handle, transport_error);
  }  // the TLS session's close_notify goes out before the lingering close
  if (linger) lingerAndClose(fd);
}

}  // namespace waybill::apid
