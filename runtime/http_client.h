// HttpPoster: the HTTP client of the daemons and the CLI (webhookd's deliveries, `waybill webhooks
// test`). POSTs JSON bodies with libcurl. One poster per endpoint thread keeps one easy handle,
// so the TCP (and TLS) connection to the receiver is reused between requests.
// Redirects are not followed: the operator configured the URL, a 3xx is a misconfiguration.
//
//   HttpPoster poster({.timeout = 10s, .connect_timeout = 5s});
//   auto answer = poster.post(url, body, {"X-Waybill-Signature: t=...,v1=..."});
//   if (answer.status == 0) log::warning("no answer: {}", answer.error);
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

using CURL = void;

namespace waybill::runtime {

struct HttpAnswer {
  long status = 0;       // HTTP status, 0 when no response arrived
  std::string error;     // curl's reason when status is 0, else a short excerpt of the body
  double seconds = 0;    // total request time
};

struct HttpPosterOptions {
  std::chrono::milliseconds timeout{10000};
  std::chrono::milliseconds connect_timeout{5000};
  std::string user_agent = "waybill-webhookd";
};

class HttpPoster {
 public:
  explicit HttpPoster(HttpPosterOptions options);
  ~HttpPoster();
  HttpPoster(const HttpPoster&) = delete;
  HttpPoster& operator=(const HttpPoster&) = delete;

  HttpAnswer post(const std::string& url, const std::string& body, const std::vector<std::string>& headers);

 private:
  HttpPosterOptions options_;
  CURL* handle_;
};

}  // namespace waybill::runtime
