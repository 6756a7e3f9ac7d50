// `waybill webhooks list | test NAME | replay --since TIME [--endpoint NAME]`: the operator's view
// of waybill-webhookd. `list` shows each endpoint with its backlog and failures; `test` POSTs one
// signed event of type "test" straight to an endpoint and prints the answer; `replay` makes
// every event since TIME pending again (receivers deduplicate by event id).
#include <fmt/format.h>

#include <ctime>

#include "commands.h"
#include "db/pg_connection.h"
#include "http_poster.h"
#include "util/uuid.h"
#include "webhook/pg_text_array.h"
#include "webhook/webhook_event.h"
#include "webhook/webhook_signature.h"
#include "webhook_dispatcher.h"

namespace waybill::cli {
namespace {

constexpr const char* kUsage =
    "usage: waybill webhooks list\n"
    "       waybill webhooks test NAME\n"
    "       waybill webhooks replay --since TIME [--endpoint NAME]   (TIME: 2026-11-22T05:00:00Z)\n";

const webhook::WebhookEndpoint* findEndpoint(const Config& config, const std::string& name) {
  for (const auto& endpoint : config.webhooks.endpoints)
    if (endpoint.name == name) return &endpoint;
  return nullptr;
}

int list(const Config& config) {
  auto conn = PgConnection::connect(config.database);
  if (!conn) return fmt::print(stderr, "waybill webhooks: {}\n", conn.error()), 69;
  auto rows = conn->exec(
      "SELECT endpoint, count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE status = 'delivered'),"
      " count(*) FILTER (WHERE status = 'failed'),"
      " coalesce(extract(epoch FROM now() - min(enqueued_at) FILTER (WHERE status = 'pending'))::bigint, 0)"
      " FROM webhook_deliveries GROUP BY endpoint");
  if (!rows) return fmt::print(stderr, "waybill webhooks: {}\n", rows.error()), 69;
  fmt::print("{:<16} {:>9} {:>10} {:>8} {:>10}  {}\n", "ENDPOINT", "PENDING", "DELIVERED", "FAILED", "OLDEST(s)",
             "URL AND FILTERS");
  for (const auto& endpoint : config.webhooks.endpoints) {
    std::string pending = "0", delivered = "0", failed = "0", oldest = "0";
    for (int row = 0; row < rows->rows(); ++row)
      if (rows->get(row, 0) == endpoint.name) {
        pending = rows->get(row, 1);
        delivered = rows->get(row, 2);
        failed = rows->get(row, 3);
        oldest = rows->get(row, 4);
      }
    fmt::print("{:<16} {:>9} {:>10} {:>8} {:>10}  {}\n", endpoint.name, pending, delivered, failed, oldest,
               endpoint.describe().substr(endpoint.name.size() + 1));
  }
  return 0;
}

int test(const Config& config, const std::string& name) {
  const auto* endpoint = findEndpoint(config, name);
  if (!endpoint) return fmt::print(stderr, "waybill webhooks test: no endpoint named '{}'\n", name), 64;
  webhook::WebhookEvent event;
  event.id = Uuid::random().toString();
  event.type = "test";
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  event.occurred_at = stamp;
  const auto settings = webhooks::dispatchSettings(config.webhooks, *endpoint);
  const std::string body = webhook::webhookBody({event});
  webhooks::HttpPoster poster(settings.http);
  const auto answer = poster.post(
      endpoint->url, body,
      {fmt::format("{}: {}", webhook::kSignatureHeader, webhook::signWebhook(settings.secret, now, body)),
       fmt::format("X-Waybill-Timestamp: {}", now), fmt::format("X-Waybill-Event-Ids: {}", event.id)});
  if (answer.status == 0) return fmt::print(stderr, "{}: no answer: {}\n", endpoint->url, answer.error), 69;
  fmt::print("{}: HTTP {} in {:.3f} s\n", endpoint->url, answer.status, answer.seconds);
  return answer.status >= 200 && answer.status < 300 ? 0 : 69;
}

// New delivery rows go behind everything pending (fresh outbox sequence numbers).
int replay(const Config& config, const std::string& since, const std::string& only) {
  if (!only.empty() && !findEndpoint(config, only))
    return fmt::print(stderr, "waybill webhooks replay: no endpoint named '{}'\n", only), 64;
  auto conn = PgConnection::connect(config.database);
  if (!conn) return fmt::print(stderr, "waybill webhooks: {}\n", conn.error()), 69;
  auto rows = conn->exec(
      "SELECT source, id, occurred_at, type, coalesce(sender, '') FROM webhook_event_source"
      " WHERE occurred_at >= $1::timestamptz ORDER BY occurred_at, id", {since});
  if (!rows) return fmt::print(stderr, "waybill webhooks replay: {}\n", rows.error()), 65;
  std::vector<std::string> names, ids, sources, occurred;
  for (int row = 0; row < rows->rows(); ++row)
    for (const auto& endpoint : config.webhooks.endpoints) {
      if ((!only.empty() && endpoint.name != only) || !endpoint.wants(rows->get(row, 3), rows->get(row, 4))) continue;
      names.push_back(endpoint.name);
      sources.emplace_back(rows->get(row, 0));
      ids.emplace_back(rows->get(row, 1));
      occurred.emplace_back(rows->get(row, 2));
    }
  auto inserted = conn->exec(
      "INSERT INTO webhook_deliveries (endpoint, event_id, source, occurred_at, seq, enqueued_at)"
      " SELECT n, i, s, o, nextval('webhook_outbox_seq_seq'), clock_timestamp()"
      " FROM unnest($1::text[], $2::uuid[], $3::text[], $4::timestamptz[]) WITH ORDINALITY AS r(n, i, s, o, k)"
      " ORDER BY k"
      " ON CONFLICT (endpoint, event_id) DO UPDATE SET status = 'pending', attempts = 0, first_failure_at = NULL,"
      " last_error = NULL, finished_at = NULL, seq = EXCLUDED.seq, enqueued_at = EXCLUDED.enqueued_at",
      {webhook::pgTextArray(names), webhook::pgTextArray(ids), webhook::pgTextArray(sources),
       webhook::pgTextArray(occurred)});
  if (!inserted) return fmt::print(stderr, "waybill webhooks replay: {}\n", inserted.error()), 69;
  fmt::print("{} deliveries queued again ({} events since {})\n", names.size(), rows->rows(), since);
  return 0;
}

}  // namespace

int runWebhooks(const Config& config, const Args& args) {
  if (args.size() == 1 && args[0] == "list") return list(config);
  if (args.size() == 2 && args[0] == "test") return test(config, args[1]);
  if (!args.empty() && args[0] == "replay") {
    std::string since, only;
    bool understood = true;
    for (std::size_t i = 1; i < args.size() && understood; ++i) {
      if (args[i] == "--since" && i + 1 < args.size()) since = args[++i];
      else if (args[i] == "--endpoint" && i + 1 < args.size()) only = args[++i];
      else understood = false;
    }
    if (understood && !since.empty()) return replay(config, since, only);
  }
  fmt::print(stderr, "{}", kUsage);
  return 64;
}

}  // namespace waybill::cli
