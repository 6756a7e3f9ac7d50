#include "api_reads.h"

#include <algorithm>
#include <charconv>

#include <nlohmann/json.hpp>

#include "api/query_string.h"
#include "api_responses.h"
#include "mail/address_syntax.h"
#include "policy/suppression.h"
#include "runtime/log.h"
#include "text/ascii_text.h"
#include "store/api_read_store.h"
#include "store/suppression_store.h"
#include "util/base64url.h"

namespace waybill::apid {
namespace {

using Json = nlohmann::json;
constexpr std::string_view kMessagesPrefix = "/v1/messages/";
constexpr int kMaxPage = 1000;

HttpResponse json(int status, const std::string& body) {
  HttpResponse response;
  response.status = status;
  response.body = body;
  return response;
}

HttpResponse problem(int status, std::string field, std::string message) {
  return errorResponse(Dialect::Native, SendResult::error(status, 300, std::move(field), std::move(message)));
}

HttpResponse databaseAway(const std::string& error) {
  log::warning("cannot read for the API: {}", error);
  return problem(503, "", "the database cannot be read now, try again later");
}

bool mayUse(const store::ApiKeyRow& key, const std::string& domain) {
  return std::find(key.sender_domains.begin(), key.sender_domains.end(), domain) != key.sender_domains.end();
}

// The key's view of a suppression: global ones, and those of its domains and their senders.
bool visible(const store::ApiKeyRow& key, const store::SuppressionListing& row) {
  if (row.scope == "global") return true;
  const std::string domain = row.scope == "sender" ? row.scope_value.substr(row.scope_value.rfind('@') + 1) : row.scope_value;
  return mayUse(key, domain);
}

struct SuppressionTarget {
  std::string recipient, scope, scope_value, reason;
};

// {"recipient", "domain" | "sender", "reason"} from a JSON body, or the query for DELETE.
Result<SuppressionTarget, HttpResponse> suppressionTarget(const Json& fields, const store::ApiKeyRow& key) {
  for (const char* name : {"recipient", "domain", "sender", "reason"})
    if (fields.contains(name) && !fields[name].is_null() && !fields[name].is_string())
      return problem(422, name, "must be a string");
  const auto text = [&](const char* name) -> std::optional<std::string> {
    if (!fields.contains(name) || fields[name].is_null()) return std::nullopt;
    return fields[name].get<std::string>();
  };
  SuppressionTarget target;
  auto recipient = text("recipient");
  if (!recipient) return problem(422, "recipient", "is required");
  auto checked = parseMailbox(*recipient);
  if (!checked) return problem(422, "recipient", checked.error());
  target.recipient = toLower(*checked);
  const auto domain = text("domain"), sender = text("sender");
  if (domain.has_value() == sender.has_value()) return problem(422, "domain", "give domain or sender (one of them)");
  if (domain) {
    auto parsed = parseDomain(*domain);
    if (!parsed) return problem(422, "domain", parsed.error());
    target.scope = "domain";
    target.scope_value = toLower(*parsed);
    if (!mayUse(key, target.scope_value)) return problem(403, "domain", "is not one of the key's sender domains");
  } else {
    auto parsed = parseMailbox(*sender);
    if (!parsed) return problem(422, "sender", parsed.error());
    target.scope = "sender";
    target.scope_value = toLower(*parsed);
    if (!mayUse(key, target.scope_value.substr(target.scope_value.rfind('@') + 1)))
      return problem(403, "sender", "is not in one of the key's sender domains");
  }
  const auto reason = text("reason");
  auto parsed_reason = policy::parseSuppressionReason(reason.value_or("manual"));
  if (!parsed_reason) return problem(422, "reason", parsed_reason.error());
  target.reason = policy::reasonName(*parsed_reason);
  return target;
}

std::string cursorOf(const std::pair<std::string, std::string>& last) {
  return base64UrlEncode(last.first + "|" + last.second);
}

std::optional<std::pair<std::string, std::string>> readCursor(const std::string& cursor) {
  auto decoded = base64UrlDecode(cursor);
  if (!decoded) return std::nullopt;
  const std::size_t bar = decoded->find('|');
  if (bar == std::string::npos) return std::nullopt;
  // "occurred_at|uuid|rank", as cursorOf wrote it
  const std::string rest = decoded->substr(bar + 1);
  const std::size_t second = rest.find('|');
  if (second != 36 || rest.size() < 38 || rest.size() > 40) return std::nullopt;
  if (!std::all_of(rest.begin() + 37, rest.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  const std::string when = decoded->substr(0, bar);
  if (when.size() != 27 || when[4] != '-' || when[10] != 'T') return std::nullopt;
  return std::make_pair(when, rest);
}

}  // namespace

bool ApiReads::serves(const std::string& path) {
  return path == "/v1/events" || path == "/v1/suppressions" ||
         (path.rfind(kMessagesPrefix, 0) == 0 && path != "/v1/messages/batch");
}

HttpResponse ApiReads::answer(const HttpRequest& request, const std::string& path, const std::string& query,
                              const store::ApiKeyRow& key) {
  if (path == "/v1/suppressions") return suppressions(request, query, key);
  if (request.method != "GET") {
    HttpResponse response = problem(405, "", path + " takes GET");
    response.headers.emplace_back("Allow", "GET");
    return response;
  }
  if (path == "/v1/events") return events(query, key);
  return message(path.substr(kMessagesPrefix.size()), key);
}

HttpResponse ApiReads::message(const std::string& uuid, const store::ApiKeyRow& key) {
  const bool uuid_like = uuid.size() == 36 && std::all_of(uuid.begin(), uuid.end(), [](char c) {
    return std::isxdigit(static_cast<unsigned char>(c)) || c == '-';
  });
  if (!uuid_like) return problem(404, "id", "no such message");
  auto found = pool_.withConnection([&](PgConnection& conn) {
    return store::messageWithTimeline(conn, toLower(uuid) + "@" + message_id_domain_, key.sender_domains);
  });
  if (!found) return databaseAway(found.error());
  if (!*found) return problem(404, "id", "no such message");
  return json(200, **found);
}

HttpResponse ApiReads::events(const std::string& query, const store::ApiKeyRow& key) {
  auto parameters = api::parseQueryString(query);
  if (!parameters) return problem(400, "", parameters.error());
  store::EventQuery wanted;
  wanted.domains = key.sender_domains;
  for (auto& [name, value] : *parameters) {
    if (name == "recipient") wanted.recipient = toLower(value);
    else if (name == "type") wanted.type = value;
    else if (name == "since") wanted.since = value;
    else if (name == "cursor") {
      wanted.after = readCursor(value);
      if (!wanted.after) return problem(400, "cursor", "is not a cursor this API gave");
    } else if (name == "limit") {
      auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), wanted.limit);
      if (error != std::errc() || end != value.data() + value.size() || wanted.limit < 1 || wanted.limit > kMaxPage)
        return problem(400, "limit", "must be a number from 1 to 1000");
    } else {
      return problem(400, name, "is not a filter of /v1/events (recipient, type, since, limit, cursor)");
    }
  }
  if (wanted.since) {  // checked here, so a bad time is the caller's 400 and not a database error
    const std::string& since = *wanted.since;
    if (since.size() < 10 || since[4] != '-' || since[7] != '-') return problem(400, "since", "must be an ISO 8601 time");
  }
  auto page = pool_.withConnection([&](PgConnection& conn) { return store::eventPage(conn, wanted); });
  if (!page) {
    if (page.error().find("invalid input syntax") != std::string::npos) return problem(400, "since", "must be an ISO 8601 time");
    return databaseAway(page.error());
  }
  Json body = {{"events", Json::parse(page->events_json)}};
  body["next_cursor"] = page->last ? Json(cursorOf(*page->last)) : Json(nullptr);
  return json(200, body.dump());
}

HttpResponse ApiReads::suppressions(const HttpRequest& request, const std::string& query, const store::ApiKeyRow& key) {
  auto parameters = api::parseQueryString(query);
  if (!parameters) return problem(400, "", parameters.error());
  if (request.method == "GET") {
    std::optional<std::string> recipient;
    if (auto it = parameters->find("recipient"); it != parameters->end()) recipient = toLower(it->second);
    auto rows = pool_.withConnection([&](PgConnection& conn) { return store::listSuppressions(conn, recipient); });
    if (!rows) return databaseAway(rows.error());
    Json list = Json::array();
    for (const auto& row : *rows)
      if (visible(key, row))
        list.push_back({{"recipient", row.recipient}, {"scope", row.scope}, {"scope_value", row.scope_value},
                        {"reason", row.reason}, {"source", row.source}, {"since", row.since}});
    return json(200, Json{{"suppressions", list}}.dump());
  }
  if (request.method != "POST" && request.method != "DELETE") {
    HttpResponse response = problem(405, "", "/v1/suppressions takes GET, POST and DELETE");
    response.headers.emplace_back("Allow", "GET, POST, DELETE");
    return response;
  }
  Json fields = Json::object();
  if (!request.body.empty()) {
    fields = Json::parse(request.body, nullptr, false);
    if (fields.is_discarded() || !fields.is_object()) return problem(400, "", "the body is not a JSON object");
  }
  for (const auto& [name, value] : *parameters) fields[name] = value;
  auto target = suppressionTarget(fields, key);
  if (!target) return target.error();
  const Json echoed = {{"recipient", target->recipient}, {"scope", target->scope}, {"scope_value", target->scope_value}};
  if (request.method == "POST") {
    auto added = pool_.withConnection([&](PgConnection& conn) {
      return store::addSuppression(conn, {.recipient = target->recipient, .scope = target->scope,
                                          .scope_value = target->scope_value, .reason = target->reason,
                                          .source = "api", .details_json = Json{{"api_key", key.name}}.dump()},
                                   store::Existing::Replace);
    });
    if (!added) return databaseAway(added.error());
    return json(201, Json{{"suppression", echoed}}.dump());
  }
  auto removed = pool_.withConnection([&](PgConnection& conn) {
    return store::removeSuppression(conn, target->recipient, target->scope, target->scope_value);
  });
  if (!removed) return databaseAway(removed.error());
  if (!*removed) return problem(404, "recipient", "has no such suppression");
  return json(200, Json{{"removed", echoed}}.dump());
}

}  // namespace waybill::apid
