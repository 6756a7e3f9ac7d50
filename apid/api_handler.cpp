#include "api_handler.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "api/api_key.h"
#include "api/native_request.h"
#include "api/postmark_request.h"
#include "api/sendgrid_request.h"
#include "api_responses.h"
#include "runtime/log.h"
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

std::string stripAngles(const std::string& id) {
  return id.size() >= 2 && id.front() == '<' && id.back() == '>' ? id.substr(1, id.size() - 2) : id;
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
    case Outcome::Rejected: return SendResult::error(422, 300, "", "the message was refused: " + submitted.detail);
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
    : settings_(std::move(settings)), pool_(pool), submitter_(submitter), metrics_(metrics) {}

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
  auto key = pool_.withConnection([&](PgConnection& conn) { return store::useApiKey(conn, api::apiKeyDigest(presented)); });
  if (!key) {
    log::warning("cannot check an API key: {}", key.error());
    return SendResult::error(503, 500, "", "the key cannot be checked now, try again later");
  }
  if (!*key) return refused("the API key is not valid (unknown or revoked)");
  return std::move(**key);
}

void ApiHandler::lookUpRecipientIds(SendResult& result) {
  auto ids = pool_.withConnection(
      [&](PgConnection& conn) { return store::recipientIdsOf(conn, stripAngles(result.message_id)); });
  if (ids) result.recipient_ids = std::move(*ids);
  else log::warning("message {}: sent, but its recipient ids cannot be read: {}", result.message_id, ids.error());
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
  result.uuid = stripAngles(built->message_id).substr(0, stripAngles(built->message_id).find('@'));
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

std::vector<SendResult> ApiHandler::sendEach(const std::vector<api::FieldResult<api::Submission>>& items,
                                             const store::ApiKeyRow& key) {
  std::vector<SendResult> results;
  for (const auto& item : items) results.push_back(item ? send(*item, key) : invalid(item.error()));
  return results;
}

HttpResponse ApiHandler::route(const HttpRequest& request, const std::string& path, std::string& endpoint) {
  const Dialect dialect = dialectOf(path);
  const api::RequestLimits& limits = settings_.limits;
  using Parsed = api::FieldResult<api::Submission>;
  using ParsedBatch = api::FieldResult<std::vector<Parsed>>;
  struct Single {
    const char* path;
    Parsed (*parse)(std::string_view, const api::RequestLimits&);
  };
  struct Batch {
    const char* path;
    ParsedBatch (*parse)(std::string_view, const api::RequestLimits&);
  };
  static const Single singles[] = {{"/v1/messages", api::parseNativeMessage},
                                   {"/email", api::parsePostmarkEmail},
                                   {"/email/withTemplate", api::parsePostmarkWithTemplate}};
  static const Batch batches[] = {{"/v1/messages/batch", api::parseNativeBatch},
                                  {"/email/batch", api::parsePostmarkBatch},
                                  {"/email/batchWithTemplates", api::parsePostmarkBatchWithTemplates}};
  const auto known = [&](const char* candidate) { return path == candidate; };
  const bool is_single = std::any_of(std::begin(singles), std::end(singles), [&](const Single& s) { return known(s.path); });
  const bool is_batch = std::any_of(std::begin(batches), std::end(batches), [&](const Batch& b) { return known(b.path); });
  const bool is_sendgrid = path == "/v3/mail/send";
  if (!is_single && !is_batch && !is_sendgrid) {
    endpoint = "unknown";
    return errorResponse(dialect, SendResult::error(404, 300, "", "no such endpoint: " + path));
  }
  endpoint = path;
  if (request.method != "POST") {
    HttpResponse response = errorResponse(dialect, SendResult::error(405, 300, "", path + " takes POST"));
    response.headers.emplace_back("Allow", "POST");
    return response;
  }
  auto key = authorize(request, dialect == Dialect::Postmark);
  if (!key) return errorResponse(dialect, key.error());
  if (is_sendgrid) {
    auto messages = api::parseSendGridMail(request.body, limits);
    if (!messages) return errorResponse(dialect, invalid(messages.error()));
    std::vector<Parsed> items(messages->begin(), messages->end());
    return sendGridResponse(sendEach(items, *key));
  }
  for (const auto& single : singles)
    if (known(single.path)) {
      auto parsed = single.parse(request.body, limits);
      return singleResponse(dialect, parsed ? send(*parsed, *key) : invalid(parsed.error()));
    }
  for (const auto& batch : batches)
    if (known(batch.path)) {
      auto parsed = batch.parse(request.body, limits);
      if (!parsed) return errorResponse(dialect, invalid(parsed.error()));
      return batchResponse(dialect, sendEach(*parsed, *key));
    }
  return errorResponse(dialect, SendResult::error(404, 300, "", "no such endpoint: " + path));
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
