// HTTP/1.1 for waybill-apid on Boost.Beast, one connection per thread (runtime::ConnectionServer
// bounds them): requests are read with header and body limits, each is answered by the handler,
// keep-alive until the client closes, stays silent past api.timeout, or the daemon drains. Over
// TLS when the options carry a context (tls_connection.h).
#pragma once

#include <openssl/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace waybill::apid {

struct HttpRequest {
  std::string method;
  std::string target;  // path and query, as sent
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  const std::string* header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? nullptr : &it->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct ExchangeOptions {
  int timeout_seconds = 30;
  std::uint64_t max_body_bytes = 10u << 20;
  SSL_CTX* tls = nullptr;  // set: the connection speaks TLS (the caller keeps the context alive)
};

// What the connection answers by itself: a body over the limit (413), headers too large (431),
// bytes that are not HTTP (400), in the dialect of the endpoint named (the path may be empty).
using TransportError = std::function<HttpResponse(int status, const std::string& path, const std::string& message)>;

// Serves requests on `fd` until the client is done; never closes fd (the caller does).
void serveHttpConnection(int fd, const ExchangeOptions& options, const std::function<HttpResponse(const HttpRequest&)>& handle,
                         const TransportError& transport_error);

}  // namespace waybill::apid
