// ApiIdempotencyStore: the api_idempotency table (migration 0020), waybill-apid's memory of the
// requests sent with an Idempotency-Key, for 24 hours.
//
//   auto claim = claimIdempotencyKey(conn, key_id, "order-17", digest);
//   if (claim->state == IdempotencyClaim::State::Claimed) { answer = send(); keepAnswer(...) or giveUp(...) }
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/pg_connection.h"
#include "util/result.h"

namespace waybill::store {

struct StoredAnswer {
  int status = 0;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct IdempotencyClaim {
  enum class State {
    Claimed,       // first use of the key (or its earlier use is over 24 hours old): send
    Answered,      // the same request was answered: `answer` is that answer
    InFlight,      // the same request is being answered right now
    OtherRequest,  // the key was used for a different request
  };
  State state = State::Claimed;
  StoredAnswer answer;
};

Result<IdempotencyClaim> claimIdempotencyKey(PgConnection& conn, const std::string& api_key_id, const std::string& key,
                                             const std::string& request_digest);
Status keepIdempotentAnswer(PgConnection& conn, const std::string& api_key_id, const std::string& key,
                            const StoredAnswer& answer);
// Gives the claim up (nothing was sent): the next request with the key is sent.
Status releaseIdempotencyKey(PgConnection& conn, const std::string& api_key_id, const std::string& key);

}  // namespace waybill::store
