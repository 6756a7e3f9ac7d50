// ApiHandler: one HTTP request to waybill-apid, start to end. The route names the dialect
// (native /v1, Postmark /email*, SendGrid /v3/mail/send); the key is checked (401 without a live
// one); the body is read into Submissions (4xx naming the field otherwise); each message's From
// must be in the key's sender domains (403); each is built and handed to Postfix, and only
// Postfix's 250 makes it sent. Postfix down or tempfailing is 503 with Retry-After.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "api/submission.h"
#include "api_reads.h"
#include "apid_metrics.h"
#include "http_exchange.h"
#include "key_cache.h"
#include "mail/message_builder.h"
#include "send_result.h"
#include "store/api_key_store.h"
#include "store/connection_pool.h"
#include "submitter.h"

namespace waybill::apid {

struct ApiEndpoint;  // the sending endpoints (api_handler.cpp)

struct ApiSettings {
  api::RequestLimits limits;
  std::string message_id_domain;
  std::size_t parallel_sends = 8;  // a batch's messages handed to Postfix at once (api.submit_connections)
};

class ApiHandler {
 public:
  ApiHandler(ApiSettings settings, ConnectionPool& pool, Submitter& submitter, ApiMetrics& metrics);
  HttpResponse handle(const HttpRequest& request);
  // The answer to a request the connection could not read (too large, not HTTP).
  HttpResponse transportError(int status, const std::string& path, const std::string& message) const;

 private:
  HttpResponse route(const HttpRequest& request, const std::string& path, std::string& endpoint_name);
  HttpResponse submit(const ApiEndpoint& endpoint, const HttpRequest& request, const store::ApiKeyRow& key);
  Result<store::ApiKeyRow, SendResult> authorize(const HttpRequest& request, bool postmark);
  SendResult send(const api::Submission& submission, const store::ApiKeyRow& key);
  std::vector<SendResult> sendEach(const std::vector<api::FieldResult<api::Submission>>& items, const store::ApiKeyRow& key);
  void lookUpRecipientIds(SendResult& result);
  HttpResponse idempotently(const HttpRequest& request, const std::string& path, const store::ApiKeyRow& key,
                            const std::string& idempotency_key, const std::function<HttpResponse()>& dispatch);

  const ApiSettings settings_;
  ConnectionPool& pool_;
  Submitter& submitter_;
  ApiMetrics& metrics_;
  ApiReads reads_;
  KeyCache keys_;
};

}  // namespace waybill::apid
