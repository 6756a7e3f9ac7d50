#include "runtime/http_client.h"

#include <curl/curl.h>

#include <memory>

namespace waybill::runtime {
namespace {

constexpr std::size_t kKeptResponseBytes = 200;  // enough for an error line in the deliveries table

std::size_t keepStart(char* data, std::size_t size, std::size_t count, void* user) {
  auto* kept = static_cast<std::string*>(user);
  const std::size_t bytes = size * count;
  if (kept->size() < kKeptResponseBytes) kept->append(data, std::min(bytes, kKeptResponseBytes - kept->size()));
  return bytes;
}

struct HeaderList {
  curl_slist* list = nullptr;
  ~HeaderList() { curl_slist_free_all(list); }
  void add(const std::string& header) { list = curl_slist_append(list, header.c_str()); }
};

}  // namespace

HttpPoster::HttpPoster(HttpPosterOptions options) : options_(std::move(options)), handle_(curl_easy_init()) {}

HttpPoster::~HttpPoster() { curl_easy_cleanup(handle_); }

HttpAnswer HttpPoster::post(const std::string& url, const std::string& body, const std::vector<std::string>& headers) {
  HttpAnswer answer;
  if (!handle_) {
    answer.error = "curl_easy_init failed";
    return answer;
  }
  HeaderList list;
  list.add("Content-Type: application/json");
  list.add("Expect:");  // no 100-continue round trip for large batches
  for (const auto& header : headers) list.add(header);
  std::string response;
  char error[CURL_ERROR_SIZE] = {};

  curl_easy_reset(handle_);  // options only; the connection cache survives a reset
  curl_easy_setopt(handle_, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle_, CURLOPT_POST, 1L);
  curl_easy_setopt(handle_, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(handle_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(handle_, CURLOPT_HTTPHEADER, list.list);
  curl_easy_setopt(handle_, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(handle_, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(handle_, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for DNS timeouts
  curl_easy_setopt(handle_, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(handle_, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle_, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(handle_, CURLOPT_WRITEFUNCTION, &keepStart);
  curl_easy_setopt(handle_, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(handle_, CURLOPT_ERRORBUFFER, error);

  const CURLcode code = curl_easy_perform(handle_);
  curl_easy_getinfo(handle_, CURLINFO_TOTAL_TIME, &answer.seconds);
  if (code != CURLE_OK) {
    answer.error = error[0] ? error : curl_easy_strerror(code);
    return answer;
  }
  curl_easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &answer.status);
  answer.error = response;
  return answer;
}

}  // namespace waybill::runtime
