// `waybill webhooks list | test NAME | replay`: the operator's view of waybill-webhookd. `list`
// shows each endpoint with its backlog, failures and parked events; `test` POSTs one signed
// event of type "test" straight to an endpoint and prints the answer; `replay` makes parked
// events (all, or one and those parked behind it) or every event since TIME pending again
// (receivers deduplicate by event id).
#include <fmt/format.h>

#include <ctime>
#include <optional>

#include "cli_support.h"
#include "commands.h"
#include "runtime/http_client.h"
#include "store/webhook_delivery_store.h"
#include "util/uuid.h"
#include "webhook/webhook_event.h"
#include "webhook/webhook_signature.h"
#include "runtime/webhook_dispatch_settings.h"
#include "webhook/webhooks_settings.h"

namespace waybill::cli {
namespace {

constexpr const char* kUsage =
    "usage: waybill webhooks list\n"
    "       waybill webhooks test NAME\n"
    "       waybill webhooks replay --parked [--endpoint NAME]\n"
    "       waybill webhooks replay --id EVENT_ID [--endpoint NAME]\n"
    "       waybill webhooks replay --since TIME [--endpoint NAME]   (TIME: 2026-11-22T05:00:00Z)\n"
    "\n"
    "list     each endpoint's pending, delivered, failed and parked deliveries, then the parked\n"
    "         events (oldest first): an event the receiver kept refusing, and the later events of\n"
    "         its recipient parked behind it so that recipient's order holds\n"
    "replay   --parked: send every parked event again; --id: that event (parked or failed) and\n"
    "         the events parked behind it; --since: every event since TIME. Replayed events go\n"
    "         behind the backlog, each recipient's in their first order.\n"
    "exit     0 done, 1 nothing to replay, 64 usage, 70 statement refused, 75 database\n"
    "         unreachable, 78 configuration (test: 69 when the endpoint does not answer 2xx)\n";

constexpr int kParkedShown = 200;

// Built from the configuration, which refused bad endpoint lines when it was loaded.
std::vector<webhook::WebhookEndpoint> endpointsOf(const Config& config) {
  return webhook::webhookEndpoints(config.webhooks).value();
}

std::optional<webhook::WebhookEndpoint> findEndpoint(const Config& config, const std::string& name) {
  for (auto& endpoint : endpointsOf(config))
    if (endpoint.name == name) return std::move(endpoint);
  return std::nullopt;
}

// The parked events, oldest first, after the endpoint table (nothing when none is parked).
int listParked(PgConnection& conn) {
  webhooks::DeliveryStore store(conn);
  auto parked = store.parked(kParkedShown);
  if (!parked) return fmt::print(stderr, "waybill webhooks: {}\n", parked.error()), kExitSoftware;
  const auto& [rows, total] = *parked;
  if (rows.empty()) return 0;
  fmt::print("\n{:<16} {:<36} {:<12} {:>8} {:<20}  {}\n", "ENDPOINT", "PARKED EVENT", "TYPE", "ATTEMPTS", "PARKED SINCE",
             "RECIPIENT AND REASON");
  for (const auto& row : rows) {
    const std::string reason = row.behind.empty() ? row.last_error : "behind " + row.behind;
    fmt::print("{:<16} {:<36} {:<12} {:>8} {:<20}  {} ({})\n", row.endpoint, row.event_id, row.type, row.attempts,
               row.parked_at, row.recipient.empty() ? "-" : row.recipient, reason);
  }
  if (total > rows.size()) fmt::print("... and {} more parked deliveries\n", total - rows.size());
  return 0;
}

int list(const Config& config) {
  int exit_code = 0;
  auto conn = openDatabase(config, "webhooks", exit_code);
  if (!conn) return exit_code;
  auto rows = webhooks::DeliveryStore(*conn).endpointCounts();
  if (!rows) return fmt::print(stderr, "waybill webhooks: {}\n", rows.error()), kExitSoftware;
  fmt::print("{:<16} {:>9} {:>10} {:>8} {:>8} {:>10}  {}\n", "ENDPOINT", "PENDING", "DELIVERED", "FAILED", "PARKED",
             "OLDEST(s)", "URL AND FILTERS");
  for (const auto& endpoint : endpointsOf(config)) {
    std::string pending = "0", delivered = "0", failed = "0", parked = "0", oldest = "0";
    for (const webhooks::EndpointCounts& row : *rows)
      if (row.endpoint == endpoint.name) {
        pending = row.pending;
        delivered = row.delivered;
        failed = row.failed;
        parked = row.parked;
        oldest = row.oldest_seconds;
      }
    fmt::print("{:<16} {:>9} {:>10} {:>8} {:>8} {:>10}  {}\n", endpoint.name, pending, delivered, failed, parked,
               oldest, endpoint.describe().substr(endpoint.name.size() + 1));
  }
  return listParked(*conn);
}

int test(const Config& config, const std::string& name) {
  const auto endpoint = findEndpoint(config, name);
  if (!endpoint) return fmt::print(stderr, "waybill webhooks test: no endpoint named '{}'\n", name), kExitUsage;
  webhook::WebhookEvent event;
  event.id = Uuid::random().toString();
  event.type = "test";
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  event.occurred_at = stamp;
  const auto settings = webhooks::dispatchSettings(config.webhooks, *endpoint);
  const std::string body = webhook::webhookBody({event});
  runtime::HttpPoster poster(settings.http);
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
    return fmt::print(stderr, "waybill webhooks replay: no endpoint named '{}'\n", only), kExitUsage;
  int failed = 0;
  auto conn = openDatabase(config, "webhooks", failed);
  if (!conn) return failed;
  webhooks::DeliveryStore store(*conn);
  if (!store.isTime(since))
    return fmt::print(stderr, "waybill webhooks replay: --since '{}' is not a time\n{}", since, kUsage), kExitUsage;
  auto events = store.eventsSince(since);
  if (!events) return fmt::print(stderr, "waybill webhooks replay: {}\n", events.error()), kExitSoftware;
  std::vector<webhooks::Requeued> deliveries;
  const auto endpoints = endpointsOf(config);
  for (const webhooks::SourceEvent& event : *events)
    for (const auto& endpoint : endpoints) {
      if ((!only.empty() && endpoint.name != only) || !endpoint.wants(event.type, event.sender)) continue;
      deliveries.push_back({endpoint.name, &event});
    }
  auto inserted = store.requeue(deliveries);
  if (!inserted) return fmt::print(stderr, "waybill webhooks replay: {}\n", inserted.error()), kExitSoftware;
  fmt::print("{} deliveries queued again ({} events since {})\n", deliveries.size(), events->size(), since);
  return 0;
}

// Parked deliveries (all of them, or `event_id` and those parked behind it) back to pending.
int replayParked(const Config& config, const std::string& event_id, const std::string& only) {
  if (!only.empty() && !findEndpoint(config, only))
    return fmt::print(stderr, "waybill webhooks replay: no endpoint named '{}'\n", only), kExitUsage;
  if (!event_id.empty() && !Uuid::parse(event_id))
    return fmt::print(stderr, "waybill webhooks replay: --id '{}' is not an event id (a UUID)\n", event_id), kExitUsage;
  int failed = 0;
  auto conn = openDatabase(config, "webhooks", failed);
  if (!conn) return failed;
  webhooks::DeliveryStore store(*conn);
  auto count = store.replayParked(only, event_id);
  if (!count) return fmt::print(stderr, "waybill webhooks replay: {}\n", count.error()), kExitSoftware;
  if (count->resent == 0) {
    fmt::print("nothing to replay: {}\n", event_id.empty() ? "no parked event" : "event " + event_id + " is not parked or failed");
    return 1;
  }
  fmt::print("{} deliveries queued again", count->resent);
  if (count->moved > 0) fmt::print(" ({} pending deliveries of the same recipients moved behind them)", count->moved);
  fmt::print("\n");
  return 0;
}

struct ReplayArgs {
  std::string since, id, only;
  bool parked = false;
};

// Exactly one of --since, --parked and --id.
std::optional<ReplayArgs> parseReplay(const Args& args) {
  ReplayArgs parsed;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--since" && i + 1 < args.size()) parsed.since = args[++i];
    else if (args[i] == "--id" && i + 1 < args.size()) parsed.id = args[++i];
    else if (args[i] == "--endpoint" && i + 1 < args.size()) parsed.only = args[++i];
    else if (args[i] == "--parked") parsed.parked = true;
    else return std::nullopt;
  }
  const int modes = int(!parsed.since.empty()) + int(!parsed.id.empty()) + int(parsed.parked);
  if (modes != 1) return std::nullopt;
  return parsed;
}

}  // namespace

int runWebhooks(const Config& config, const Args& args) {
  if (args.size() == 1 && args[0] == "list") return list(config);
  if (args.size() == 2 && args[0] == "test" && args[1][0] != '-') return test(config, args[1]);
  if (!args.empty() && args[0] == "replay") {
    if (auto parsed = parseReplay(args)) {
      if (!parsed->since.empty()) return replay(config, parsed->since, parsed->only);
      return replayParked(config, parsed->id, parsed->only);
    }
  }
  if (args.empty()) return usageError("webhooks", "give list, test NAME or replay", kUsage);
  if (args[0] == "replay") {
    for (std::size_t i = 1; i < args.size(); ++i) {
      const bool takes_value = args[i] == "--since" || args[i] == "--id" || args[i] == "--endpoint";
      if (!takes_value && args[i] != "--parked") return usageError("webhooks", unexpected(args[i]), kUsage);
      if (takes_value) ++i;
    }
    return usageError("webhooks", "replay takes one of --parked, --id ID or --since TIME (and optionally --endpoint NAME)", kUsage);
  }
  return usageError("webhooks", unexpected(args.back()), kUsage);
}

const char* webhooksUsage() { return kUsage; }

}  // namespace waybill::cli
