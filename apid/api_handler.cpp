#include "api_handler.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <cctype>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "api/api_key.h"
#include "api/native_request.h"
#include "api/postmark_request.h"
#include "api/sendgrid_request.h"
#include "api_responses.h"
#include "mail/address.h"
#include "text/ascii_text.h"
#include "openapi_document.h"
#include "runtime/log.h"
#include "store/api_idempotency_store.h"
#include "util/sha256.h"
#include "util/uuid.h"

namespace waybill::apid {
namespace {

using Clock = std::chrono::system_clock;

// A parser's error as an answer: malformed JSON 400, too large 413, a bad field 422.
SendResult invalid(const api::FieldError& error) {
  const int status = error.kind == api::ErrorKind::MalformedJson ? 400 : error.kind == api::ErrorKind::TooLarge ? 413 : 422;
  return SendResult::error(status, 300, error.field, error.message);
}

std::string isoNow() {
  const auto now = Clock::now();
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1000000;
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:06d}Z", fmt::gmtime(Clock::to_time_t(now)), micros);
}

// What a submission that Postfix did not take answers.
SendResult notSent(const Submitted& submitted) {
  using Outcome = Submitted::Outcome;
  switch (submitted.outcome) {
    case Outcome::NoRecipient: {
      SendResult result = SendResult::error(422, 406, "to", "no recipient can be sent to (suppressed or refused): " +
                                                                (submitted.recipients.empty() ? std::string()
                                                                                              : submitted.recipients[0].reply));
      result.recipients = submitted.recipients;
      return result;
    }
    case Outcome::Rejected:
      // The milter refuses a message whose every recipient is suppressed (5.7.1): Postmark's "inactive".
      if (submitted.detail.find("suppressed") != std::string::npos)
        return SendResult::error(422, 406, "to", "every recipient is suppressed: " + submitted.detail);
      return SendResult::error(422, 300, "", "the message was refused: " + submitted.detail);
    case Outcome::Unknown:
      return SendResult::error(503, 500, "", "the connection to Postfix broke after the message was sent; it may have "
                                             "been queued (retry with the same Idempotency-Key)");
    case Outcome::Unavailable:
    case Outcome::Queued: break;
  }
  return SendResult::error(503, 500, "", "Postfix cannot take the message now, try again later (" + submitted.detail + ")");
}

const char* outcomeName(Submitted::Outcome outcome) {
  switch (outcome) {
    case Submitted::Outcome::Queued: return "queued";
    case Submitted::Outcome::NoRecipient: return "no_recipient";
    case Submitted::Outcome::Rejected: return "rejected";
    case Submitted::Outcome::Unavailable: return "unavailable";
    case Submitted::Outcome::Unknown: break;
  }
  return "unknown";
}

}  // namespace

ApiHandler::ApiHandler(ApiSettings settings, ConnectionPool& pool, Submitter& submitter, ApiMetrics& metrics)
    : settings_(std::move(settings)),
      pool_(pool),
      submitter_(submitter),
      metrics_(metrics),
      reads_(pool, settings_.message_id_domain) {}

HttpResponse ApiHandler::transportError(int status, const std::string& path, const std::string& message) const {
  return errorResponse(dialectOf(path), SendResult::error(status, 300, "", message));
}

Result<store::ApiKeyRow, SendResult> ApiHandler::authorize(const HttpRequest& request, bool postmark) {
  std::string presented;
  if (const std::string* bearer = request.header("authorization"); bearer && bearer->rfind("Bearer ", 0) == 0)
    presented = bearer->substr(7);
  else if (const std::string* token = request.header("x-postmark-server-token"); postmark && token)
    presented = *token;
  const auto refused = [](std::string why) { return SendResult::error(401, 10, "", std::move(why)); };
  if (presented.empty())
    return refused(postmark ? "No Account or Server API tokens were supplied in the HTTP headers."
                            : "an API key is required: Authorization: Bearer KEY");
  if (!api::looksLikeApiKey(presented)) return refused("the API key is not valid");
  const std::string digest = api::apiKeyDigest(presented);
  if (auto cached = keys_.find(digest)) return std::move(*cached);
  auto key = pool_.withConnection([&](PgConnection& conn) { return store::useApiKey(conn, digest); });
  if (!key) {
    log::warning("cannot check an API key: {}", key.error());
    return SendResult::error(503, 500, "", "the key cannot be checked now, try again later");
  }
  if (!*key) return refused("the API key is not valid (unknown or revoked)");
  keys_.keep(digest, **key);
  return std::move(**key);
}

void ApiHandler::lookUpRecipientIds(SendResult& result) {
  auto ids = pool_.withConnection(
      [&](PgConnection& conn) { return store::recipientIdsOf(conn, stripAngles(result.message_id)); });
  if (!ids) {
    log::warning("message {}: sent, but its recipient ids cannot be read: {}", result.message_id, ids.error());
    return;
  }
  // The milter records every recipient it kept; one Postfix took but the milter did not keep is
  // on the suppression list (it has a `suppressed` event instead).
  for (auto& verdict : result.recipients) {
    const std::string lower = toLower(verdict.address);
    const auto recorded = std::find_if(ids->begin(), ids->end(), [&](const auto& id) { return id.first == lower; });
    if (recorded != ids->end()) {
      verdict.id = recorded->second;
    } else if (verdict.state == RecipientVerdict::State::Queued) {
      verdict.state = RecipientVerdict::State::Suppressed;
      verdict.reply = "suppressed: not sent";
    }
  }
}

SendResult ApiHandler::send(const api::Submission& submission, const store::ApiKeyRow& key) {
  if (!api::senderDomainAllowed(key.sender_domains, submission.from.address))
    return SendResult::error(403, 400, "from",
                             fmt::format("the key '{}' may not send as {}", key.name, submission.from.address));
  std::string uuid;
  const mail::BuildContext context{settings_.message_id_domain,
                                   [&uuid] {
                                     std::string id = Uuid::random().toString();
                                     if (uuid.empty()) uuid = id;  // the first is the Message-ID's
                                     return id;
                                   },
                                   [] { return Clock::now(); }};
  auto built = mail::buildMessage(submission, context);
  if (!built) return invalid(built.error());
  SendResult result;
  result.message_id = built->message_id;
  const std::string bare_id = stripAngles(built->message_id);
  result.uuid = bare_id.substr(0, bare_id.find('@'));
  result.submitted_at = isoNow();
  for (const auto& mailbox : submission.to) result.to.push_back(mailbox.address);
  const Submitted submitted = submitter_.submit(built->envelope_from, built->envelope_recipients, built->message);
  metrics_.countSubmission(outcomeName(submitted.outcome));
  if (submitted.outcome != Submitted::Outcome::Queued) {
    log::warning("message {} from {} (key '{}'): not sent: {}", built->message_id, submission.from.address, key.name,
                 submitted.detail);
    return notSent(submitted);
  }
  log::info("message {} from {} (key '{}'): queued as {}", built->message_id, submission.from.address, key.name,
            submitted.queue_id);
  result.recipients = submitted.recipients;
  lookUpRecipientIds(result);
  return result;
}

// A batch's items go to Postfix side by side, as many at once as there are SMTP connections;
// each answer keeps its item's place.
std::vector<SendResult> ApiHandler::sendEach(const std::vector<api::FieldResult<api::Submission>>& items,
                                             const store::ApiKeyRow& key) {
  std::vector<SendResult> results(items.size());
  std::atomic<std::size_t> next{0};
  const auto work = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < items.size();)
      results[i] = items[i] ? send(*items[i], key) : invalid(items[i].error());
  };
  const std::size_t helpers = std::min(settings_.parallel_sends, items.size()) - (items.empty() ? 0 : 1);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < helpers; ++t) threads.emplace_back(work);
  work();
  for (auto& thread : threads) thread.join();
  return results;
}

using Parsed = api::FieldResult<api::Submission>;
using ParsedBatch = api::FieldResult<std::vector<Parsed>>;

// The sending endpoints: one message, a batch of them, or SendGrid's personalizations.
struct ApiEndpoint {
  const char* path;
  Parsed (*single)(std::string_view, const api::RequestLimits&);
  ParsedBatch (*batch)(std::string_view, const api::RequestLimits&);
};

namespace {

ParsedBatch parseSendGrid(std::string_view body, const api::RequestLimits& limits) {
  auto messages = api::parseSendGridMail(body, limits);
  if (!messages) return messages.error();
  return std::vector<Parsed>(messages->begin(), messages->end());
}

constexpr ApiEndpoint kEndpoints[] = {
    {"/v1/messages", api::parseNativeMessage, nullptr},
    {"/v1/messages/batch", nullptr, api::parseNativeBatch},
    {"/email", api::parsePostmarkEmail, nullptr},
    {"/email/withTemplate", api::parsePostmarkWithTemplate, nullptr},
    {"/email/batch", nullptr, api::parsePostmarkBatch},
    {"/email/batchWithTemplates", nullptr, api::parsePostmarkBatchWithTemplates},
    {"/v3/mail/send", nullptr, parseSendGrid},
};

const ApiEndpoint* endpointAt(const std::string& path) {
  for (const auto& endpoint : kEndpoints)
    if (path == endpoint.path) return &endpoint;
  return nullptr;
}

}  // namespace

HttpResponse ApiHandler::submit(const ApiEndpoint& endpoint, const HttpRequest& request, const store::ApiKeyRow& key) {
  const Dialect dialect = dialectOf(endpoint.path);
  if (endpoint.single) {
    auto parsed = endpoint.single(request.body, settings_.limits);
    return singleResponse(dialect, parsed ? send(*parsed, key) : invalid(parsed.error()));
  }
  auto parsed = endpoint.batch(request.body, settings_.limits);
  if (!parsed) return errorResponse(dialect, invalid(parsed.error()));
  const std::vector<SendResult> results = sendEach(*parsed, key);
  // SendGrid answers one request as one: 202, or the first failure.
  return dialect == Dialect::SendGrid ? sendGridResponse(results) : batchResponse(dialect, results);
}

HttpResponse ApiHandler::route(const HttpRequest& request, const std::string& path, std::string& endpoint_name) {
  const Dialect dialect = dialectOf(path);
  if (path == "/v1/openapi.json") {
    endpoint_name = path;
    HttpResponse document;
    document.body = std::string(kOpenApiDocument);
    return document;
  }
  if (ApiReads::serves(path)) {
    endpoint_name = path.rfind("/v1/messages/", 0) == 0 ? "/v1/messages/{id}" : path;
    auto key = authorize(request, false);
    if (!key) return errorResponse(dialect, key.error());
    const std::size_t mark = request.target.find('?');
    return reads_.answer(request, path, mark == std::string::npos ? std::string() : request.target.substr(mark + 1), *key);
  }
  const ApiEndpoint* endpoint = endpointAt(path);
  if (!endpoint) {
    endpoint_name = "unknown";  // bounded metric labels, whatever paths clients try
    return errorResponse(dialect, SendResult::error(404, 300, "", "no such endpoint: " + path));
  }
  endpoint_name = endpoint->path;
  if (request.method != "POST") {
    HttpResponse response = errorResponse(dialect, SendResult::error(405, 300, "", path + " takes POST"));
    response.headers.emplace_back("Allow", "POST");
    return response;
  }
  auto key = authorize(request, dialect == Dialect::Postmark);
  if (!key) return errorResponse(dialect, key.error());
  const auto dispatch = [&] { return submit(*endpoint, request, *key); };
  const std::string* idempotency_key = request.header("idempotency-key");
  if (!idempotency_key || idempotency_key->empty()) return dispatch();
  return idempotently(request, path, *key, *idempotency_key, dispatch);
}

// The first request with a key is answered and its answer kept; the same request again gets that
// answer (Idempotent-Replayed: true) and sends nothing; another request with the key is 422.
HttpResponse ApiHandler::idempotently(const HttpRequest& request, const std::string& path, const store::ApiKeyRow& key,
                                      const std::string& idempotency_key, const std::function<HttpResponse()>& dispatch) {
  const Dialect dialect = dialectOf(path);
  if (idempotency_key.size() > 255 ||
      std::any_of(idempotency_key.begin(), idempotency_key.end(), [](char c) { return c < 0x21 || c > 0x7e; }))
    return errorResponse(dialect, SendResult::error(400, 300, "Idempotency-Key", "must be 1 to 255 visible ASCII characters"));
  const std::string digest = toHex(sha256(request.method + " " + path + "\n" + request.body));
  auto claim = pool_.withConnection(
      [&](PgConnection& conn) { return store::claimIdempotencyKey(conn, key.id, idempotency_key, digest); });
  if (!claim) {
    log::warning("cannot claim an Idempotency-Key: {}", claim.error());
    return errorResponse(dialect, SendResult::error(503, 500, "", "the Idempotency-Key cannot be checked now, try again later"));
  }
  using State = store::IdempotencyClaim::State;
  if (claim->state == State::OtherRequest)
    return errorResponse(dialect, SendResult::error(422, 300, "Idempotency-Key", "was used for a different request"));
  if (claim->state == State::InFlight)
    return errorResponse(dialect, SendResult::error(409, 300, "Idempotency-Key", "the request with this key is still being answered"));
  if (claim->state == State::Answered) {
    HttpResponse replayed{claim->answer.status, claim->answer.content_type, claim->answer.headers, claim->answer.body};
    replayed.headers.emplace_back("Idempotent-Replayed", "true");
    return replayed;
  }
  HttpResponse response = dispatch();
  auto settled = pool_.withConnection([&](PgConnection& conn) {
    // 5xx: nothing was sent (or it is unknown whether): the next request with the key tries again.
    if (response.status >= 500) return store::releaseIdempotencyKey(conn, key.id, idempotency_key);
    return store::keepIdempotentAnswer(conn, key.id, idempotency_key,
                                       {response.status, response.content_type, response.headers, response.body});
  });
  if (!settled) log::warning("Idempotency-Key {}: the answer cannot be kept: {}", idempotency_key, settled.error());
  return response;
}

HttpResponse ApiHandler::handle(const HttpRequest& request) {
  const auto started = std::chrono::steady_clock::now();
  const std::string path = request.target.substr(0, request.target.find('?'));
  std::string endpoint;
  HttpResponse response = route(request, path, endpoint);
  metrics_.countRequest(endpoint, response.status,
                        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return response;
}

}  // namespace waybill::apid
