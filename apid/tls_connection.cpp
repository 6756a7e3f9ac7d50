#include "tls_connection.h"

#include <openssl/err.h>

#include <boost/asio/error.hpp>
#include <cerrno>
#include <fmt/format.h>

namespace waybill::apid {
namespace {

// OpenSSL's first queued error as text, and the queue cleared.
std::string openSslReason() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

}  // namespace

Result<std::shared_ptr<const TlsServerContext>> TlsServerContext::load(const std::string& cert_file,
                                                                        const std::string& key_file) {
  ERR_clear_error();
  SSL_CTX* context = SSL_CTX_new(TLS_server_method());
  if (context == nullptr) return makeError("cannot make a TLS context: " + openSslReason());
  std::shared_ptr<const TlsServerContext> owner(new TlsServerContext(context));
  SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
  SSL_CTX_set_options(context, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_use_certificate_chain_file(context, cert_file.c_str()) != 1)
    return makeError(fmt::format("option 'api.tls_cert': cannot load the certificate chain {}: {}", cert_file, openSslReason()));
  if (SSL_CTX_use_PrivateKey_file(context, key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    return makeError(fmt::format("option 'api.tls_key': cannot load the private key {}: {}", key_file, openSslReason()));
  if (SSL_CTX_check_private_key(context) != 1)
    return makeError(fmt::format("option 'api.tls_key': {} does not belong to the certificate in {}", key_file, cert_file));
  return owner;
}

TlsServerContext::~TlsServerContext() { SSL_CTX_free(context_); }

TlsSession::TlsSession(SSL_CTX* context, int fd) : ssl_(SSL_new(context)) {
  if (ssl_ == nullptr || SSL_set_fd(ssl_, fd) != 1) {
    failure_ = openSslReason();
    return;
  }
  const int accepted = SSL_accept(ssl_);
  if (accepted == 1) {
    established_ = true;
    return;
  }
  const int error = SSL_get_error(ssl_, accepted);
  failure_ = error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE ? "the client did not finish the handshake in time"
             : error == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 ? "the client closed the connection during the handshake"
                                                                    : openSslReason();
  ERR_clear_error();
}

TlsSession::~TlsSession() {
  if (established_) (void)SSL_shutdown(ssl_);  // close_notify; the peer's answer is not awaited
  SSL_free(ssl_);
  ERR_clear_error();
}

template <class Call>
std::size_t TlsSession::retryingInterrupts(Call call, boost::beast::error_code& ec) {
  std::size_t done = 0;
  for (;;) {
    const int result = call(done);
    if (result == 1) {
      ec = {};
      return done;
    }
    if (SSL_get_error(ssl_, result) == SSL_ERROR_SYSCALL && errno == EINTR) continue;
    ec = errorOf(result);
    return 0;
  }
}

std::size_t TlsSession::read(void* data, std::size_t size, boost::beast::error_code& ec) {
  return retryingInterrupts([&](std::size_t& got) { return SSL_read_ex(ssl_, data, size, &got); }, ec);
}

std::size_t TlsSession::write(const void* data, std::size_t size, boost::beast::error_code& ec) {
  return retryingInterrupts([&](std::size_t& written) { return SSL_write_ex(ssl_, data, size, &written); }, ec);
}

boost::beast::error_code TlsSession::errorOf(int result) {
  const int error = SSL_get_error(ssl_, result);
  ERR_clear_error();
  switch (error) {
    case SSL_ERROR_ZERO_RETURN: return boost::asio::error::eof;
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE: return boost::asio::error::timed_out;  // SO_RCVTIMEO / SO_SNDTIMEO ran out
    case SSL_ERROR_SYSCALL:
      if (errno == EAGAIN || errno == EWOULDBLOCK) return boost::asio::error::timed_out;
      if (errno == 0) return boost::asio::error::eof;  // closed without close_notify
      return {errno, boost::system::system_category()};
    default: return boost::asio::error::connection_reset;  // a protocol error: the session is over
  }
}

}  // namespace waybill::apid
