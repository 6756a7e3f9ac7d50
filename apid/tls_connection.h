// TLS for waybill-apid when [api] tls_cert and tls_key are set (OpenSSL): the certificate chain and
// key are loaded at start and again on SIGHUP (a renewed certificate without a restart); each
// connection runs its handshake and then reads and writes through its own session. TLS 1.2 or
// newer, no renegotiation.
//
//   auto context = TlsServerContext::load("/etc/waybill/api.crt", "/etc/waybill/api.key");
//   TlsSession session(context->get(), fd);      // the handshake, bounded by the socket timeouts
//   if (session.established()) serve(session);    // read_some / write_some as Beast wants them
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <memory>
#include <string>

#include "util/result.h"

namespace waybill::apid {

class TlsServerContext {
 public:
  // Errors name the option ('api.tls_cert' or 'api.tls_key') and OpenSSL's reason.
  static Result<std::shared_ptr<const TlsServerContext>> load(const std::string& cert_file, const std::string& key_file);
  ~TlsServerContext();
  TlsServerContext(const TlsServerContext&) = delete;
  TlsServerContext& operator=(const TlsServerContext&) = delete;

  SSL_CTX* get() const { return context_; }

 private:
  explicit TlsServerContext(SSL_CTX* context) : context_(context) {}
  SSL_CTX* context_;
};

// One server-side TLS connection over a blocking socket whose SO_RCVTIMEO/SO_SNDTIMEO bound each
// call: a timeout is asio::error::timed_out, the peer's close_notify (or a bare close) eof.
class TlsSession {
 public:
  TlsSession(SSL_CTX* context, int fd);
  ~TlsSession();  // sends close_notify when the session was established
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  bool established() const { return established_; }
  const std::string& failure() const { return failure_; }  // why the handshake failed

  template <class Buffers>
  std::size_t read_some(const Buffers& buffers, boost::beast::error_code& ec) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers); ++it) {
      const boost::asio::mutable_buffer buffer = *it;
      if (buffer.size() > 0) return read(buffer.data(), buffer.size(), ec);
    }
    ec = {};
    return 0;
  }
  template <class Buffers>
  std::size_t write_some(const Buffers& buffers, boost::beast::error_code& ec) {
    std::size_t total = 0;
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers); ++it) {
      const boost::asio::const_buffer buffer = *it;
      total += write(buffer.data(), buffer.size(), ec);
      if (ec) break;
    }
    return total;
  }
  // The throwing forms the stream concepts ask for (Beast's calls here pass an error_code).
  template <class Buffers>
  std::size_t read_some(const Buffers& buffers) {
    return orThrow([&](boost::beast::error_code& ec) { return read_some(buffers, ec); });
  }
  template <class Buffers>
  std::size_t write_some(const Buffers& buffers) {
    return orThrow([&](boost::beast::error_code& ec) { return write_some(buffers, ec); });
  }

 private:
  std::size_t read(void* data, std::size_t size, boost::beast::error_code& ec);
  std::size_t write(const void* data, std::size_t size, boost::beast::error_code& ec);
  // Repeats an SSL_read_ex/SSL_write_ex call interrupted by a signal; sets ec from its failure.
  template <class Call>
  std::size_t retryingInterrupts(Call call, boost::beast::error_code& ec);
  boost::beast::error_code errorOf(int result);

  template <class Transfer>
  static std::size_t orThrow(Transfer transfer) {
    boost::beast::error_code ec;
    const std::size_t n = transfer(ec);
    if (ec) throw boost::beast::system_error(ec);
    return n;
  }

  SSL* ssl_;
  bool established_ = false;
  std::string failure_;
};

}  // namespace waybill::apid
