// PipeStore implementation: routing by envelope recipient, the dedupe key, and one transaction
// around whichever store applies.
#include "pipe_store.h"

#include <openssl/evp.h>

#include <array>

#include "dsn/mime_lite.h"
#include "mail/address.h"
#include "stores.h"

namespace waybill::pipe {

Destination routeRecipient(const PipeConfig& pipe, std::string_view recipient) {
  std::string domain = domainOf(recipient);
  if (!pipe.bounce_domain.empty() && domain == toLower(pipe.bounce_domain)) {
    std::string local = toLower(recipient.substr(0, recipient.rfind('@')));
    return local.rfind("unsub+", 0) == 0 ? Destination::Unsubscribe : Destination::Bounce;
  }
  for (const std::string& inbound : pipe.inbound_domains) {
    if (domain == toLower(inbound)) return Destination::Inbound;
  }
  return Destination::Bounce;
}

std::string dedupeKey(const PipeEnvelope& envelope, std::string_view raw) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  for (std::string_view part : {std::string_view(envelope.recipient), std::string_view("\n"),
                                std::string_view(envelope.queue_id), std::string_view("\n"), raw}) {
    EVP_DigestUpdate(ctx, part.data(), part.size());
  }
  EVP_DigestFinal_ex(ctx, digest.data(), &length);
  EVP_MD_CTX_free(ctx);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

Result<PgResult> execWithBytes(PgConnection& conn, const char* sql, const std::vector<PgParam>& params,
                               std::string_view bytes) {
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  for (const PgParam& p : params) {
    values.push_back(p ? p->c_str() : nullptr);
    lengths.push_back(p ? static_cast<int>(p->size()) : 0);
    formats.push_back(0);
  }
  values.push_back(bytes.data());
  lengths.push_back(static_cast<int>(bytes.size()));
  formats.push_back(1);
  PGresult* raw = PQexecParams(conn.raw(), sql, static_cast<int>(values.size()), nullptr, values.data(),
                               lengths.data(), formats.data(), 0);
  PgResult result(raw);  // owns it from here (PQclear), also on the error path
  ExecStatusType status = PQresultStatus(raw);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    std::string message = PQerrorMessage(conn.raw());
    return makeError("database: " + message.substr(0, message.find('\n')));
  }
  return result;
}

Result<StoreOutcome> storeMessage(PgConnection& conn, const PipeEnvelope& envelope, std::string_view raw,
                                  const Config& config, const TokenCodec* codec) {
  StoreOutcome outcome = StoreOutcome::Stored;
  Status status = inTransaction(conn, [&]() -> Status {
    Result<StoreOutcome> stored = makeError("unrouted");
    switch (routeRecipient(config.pipe, envelope.recipient)) {
      case Destination::Bounce: stored = storeBounce(conn, envelope, raw, config, codec); break;
      case Destination::Unsubscribe: stored = storeUnsubscribe(conn, envelope, raw, config, codec); break;
      case Destination::Inbound: stored = storeInbound(conn, envelope, raw); break;
    }
    if (!stored) return makeError(stored.error());
    outcome = *stored;
    return {};
  });
  if (!status) return makeError(status.error());
  return outcome;
}

}  // namespace waybill::pipe
