// ApiKeyStore: the api_keys table (migration 0018), as the operator's `waybill api-keys` creates,
// lists and revokes keys, and as waybill-apid looks up the key a request presents.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/pg_connection.h"
#include "util/result.h"

namespace waybill::store {

struct ApiKeyRow {
  std::string id;
  std::string name;
  std::string shown;
  std::vector<std::string> sender_domains;
  std::string created_at;
  std::string last_used_at;  // empty: never used
  std::string revoked_at;    // empty: live
};

// The new key's id; an error when a live key has that name already.
Result<std::string> createApiKey(PgConnection& conn, const std::string& name, const std::string& digest,
                                 const std::string& shown, const std::vector<std::string>& sender_domains);
// Every key, live ones first, newest first; revoked ones only with `with_revoked`.
Result<std::vector<ApiKeyRow>> listApiKeys(PgConnection& conn, bool with_revoked);
// Revokes the live key with that name (or id); nullopt when there is none.
Result<std::optional<ApiKeyRow>> revokeApiKey(PgConnection& conn, const std::string& name_or_id);

// The live key with that digest, its last_used_at moved on (at most once a minute, so a busy key
// costs no write per request); nullopt when there is none (unknown or revoked).
Result<std::optional<ApiKeyRow>> useApiKey(PgConnection& conn, const std::string& digest);

// The recipients the milter recorded for the message with that Message-ID header ("<id@domain>"),
// as (lower-cased address, recipient id) pairs.
Result<std::vector<std::pair<std::string, std::string>>> recipientIdsOf(PgConnection& conn, const std::string& message_id_header);

}  // namespace waybill::store
