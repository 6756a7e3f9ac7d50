// ApiReads: the native API's reads and suppression list, for the key's sender domains only.
//   GET /v1/messages/{uuid}      the message (uuid: the left side of its Message-ID) with each
//                                recipient's status and event timeline
//   GET /v1/events               ?recipient=&type=&since=&limit=&cursor= (cursor: next_cursor)
//   GET /v1/suppressions         ?recipient=  (the key's domains' suppressions, and global ones)
//   POST /v1/suppressions        {"recipient", "domain" | "sender", "reason"}  (201)
//   DELETE /v1/suppressions      the same fields, as JSON or query parameters
// Suppressions are those of `waybill suppress` (scopes domain and sender; global ones only the
// operator sets) and reach every policyd and milter within a second.
#pragma once

#include <string>

#include "http_exchange.h"
#include "store/api_key_store.h"
#include "store/connection_pool.h"

namespace waybill::apid {

class ApiReads {
 public:
  ApiReads(ConnectionPool& pool, std::string message_id_domain)
      : pool_(pool), message_id_domain_(std::move(message_id_domain)) {}
  // Whether the path is one of these (then answer() answers it).
  static bool serves(const std::string& path);
  HttpResponse answer(const HttpRequest& request, const std::string& path, const std::string& query,
                      const store::ApiKeyRow& key);

 private:
  HttpResponse message(const std::string& uuid, const store::ApiKeyRow& key);
  HttpResponse events(const std::string& query, const store::ApiKeyRow& key);
  HttpResponse suppressions(const HttpRequest& request, const std::string& query, const store::ApiKeyRow& key);

  ConnectionPool& pool_;
  const std::string message_id_domain_;
};

}  // namespace waybill::apid
