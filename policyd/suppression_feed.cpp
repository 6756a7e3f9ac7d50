#include "suppression_feed.h"

#include <nlohmann/json.hpp>
#include <poll.h>

#include <charconv>
#include <ctime>
#include <fstream>

#include "log/log.h"

namespace waybill::policyd {
namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kChannel = "waybill_suppressions";

long residentKib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return 0;
}

double threadCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

// COPY's text format escapes backslash, tab and line breaks; addresses rarely hold them.
std::string unescapeCopyField(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] != '\\' || i + 1 == field.size()) {
      out.push_back(field[i]);
      continue;
    }
    const char next = field[++i];
    out.push_back(next == 't' ? '\t' : next == 'n' ? '\n' : next == 'r' ? '\r' : next);
  }
  return out;
}

// One COPY row: recipient \t scope \t scope_value \t reason \t since.
std::optional<policy::Suppression> parseCopyRow(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  std::string_view fields[5];
  for (int i = 0; i < 5; ++i) {
    const auto tab = line.find('\t');
    fields[i] = line.substr(0, tab);
    if (i < 4 && tab == std::string_view::npos) return std::nullopt;
    line.remove_prefix(tab == std::string_view::npos ? line.size() : tab + 1);
  }
  auto scope = policy::parseSuppressionScope(fields[1]);
  auto reason = policy::parseSuppressionReason(fields[3]);
  std::int64_t since = 0;
  std::from_chars(fields[4].data(), fields[4].data() + fields[4].size(), since);
  if (!scope || !reason) return std::nullopt;
  return policy::Suppression{unescapeCopyField(fields[0]), *scope, unescapeCopyField(fields[2]), *reason, since};
}

// The planner's row estimate: cheap, and close enough to size the hash table.
std::size_t expectedRows(PgConnection& conn) {
  auto estimate = conn.exec("SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = 'suppressions'::regclass");
  if (!estimate || estimate->rows() != 1) return 0;
  std::size_t rows = 0;
  const auto text = estimate->get(0, 0);
  std::from_chars(text.data(), text.data() + text.size(), rows);
  return rows + rows / 10;
}

}  // namespace

void SuppressionFeed::start() { thread_ = std::thread([this] { run(); }); }

void SuppressionFeed::stop() {
  stopping_ = true;
  state_changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SuppressionFeed::sleepUnlessStopping(std::chrono::milliseconds duration) {
  std::unique_lock lock(state_mutex_);
  state_changed_.wait_for(lock, duration, [this] { return stopping_.load(); });
}

void SuppressionFeed::markAttempted() {
  {
    std::lock_guard lock(state_mutex_);
    attempted_ = true;
  }
  state_changed_.notify_all();
}

bool SuppressionFeed::waitFirstAttempt(std::chrono::milliseconds limit) {
  {
    std::unique_lock lock(state_mutex_);
    state_changed_.wait_for(lock, limit, [this] { return attempted_ || stopping_.load(); });
  }
  return read([](const policy::SuppressionIndex* index) { return index != nullptr; });
}

void SuppressionFeed::run() {
  while (!stopping_) {
    auto conn = PgConnection::connect(database_);
    if (!conn) {
      markAttempted();
      log::warning("suppression list: {}; answering from the list in memory, retrying", conn.error());
      sleepUnlessStopping(std::chrono::seconds(1));
      continue;
    }
    auto status = followOnce(*conn);
    listening_ = false;
    if (!status && !stopping_) {
      log::warning("suppression list: {}; answering from the list in memory, retrying", status.error());
      sleepUnlessStopping(std::chrono::seconds(1));
    }
  }
}

// LISTEN first, then load: a change committed during the load is then both in the snapshot and
// notified, and applying a change twice is harmless (upsert/erase are idempotent).
Status SuppressionFeed::followOnce(PgConnection& conn) {
  if (auto listen = conn.exec(fmt::format("LISTEN {}", kChannel)); !listen) return makeError(listen.error());
  auto loaded = loadAll(conn);
  markAttempted();
  if (!loaded) return loaded;
  listening_ = true;
  while (!stopping_) {
    pollfd waiting{PQsocket(conn.raw()), POLLIN, 0};
    if (poll(&waiting, 1, 200) < 0 && errno != EINTR) return makeError("poll on the database socket failed");
    if (auto applied = applyNotifications(conn); !applied) return applied;
  }
  return {};
}

Status SuppressionFeed::loadAll(PgConnection& conn) {
  const auto started = Clock::now();
  const double cpu_started = threadCpuSeconds();
  const std::size_t expected = expectedRows(conn);  // before COPY: the connection is busy during it
  PGresult* copy = PQexec(conn.raw(),
                          "COPY (SELECT recipient, scope, scope_value, reason,"
                          " floor(extract(epoch FROM created_at))::bigint FROM suppressions) TO STDOUT");
  const bool copying = PQresultStatus(copy) == PGRES_COPY_OUT;
  std::string error = copying ? "" : PQresultErrorMessage(copy);
  PQclear(copy);
  if (!copying) return makeError("loading suppressions: " + error);

  auto fresh = std::make_unique<policy::SuppressionIndex>();
  fresh->reserve(expected);  // no rehashing while a million rows arrive
  std::size_t skipped = 0;
  char* row = nullptr;
  int length = 0;
  while ((length = PQgetCopyData(conn.raw(), &row, 0)) > 0) {
    if (auto parsed = parseCopyRow(std::string_view(row, static_cast<std::size_t>(length)))) fresh->upsert(std::move(*parsed));
    else ++skipped;
    PQfreemem(row);
  }
  PGresult* end = PQgetResult(conn.raw());
  const bool ok = length == -1 && PQresultStatus(end) == PGRES_COMMAND_OK;
  error = ok ? "" : PQerrorMessage(conn.raw());
  PQclear(end);
  while (PGresult* rest = PQgetResult(conn.raw())) PQclear(rest);
  if (!ok) return makeError("loading suppressions: " + error);

  const std::size_t entries = fresh->entries();
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  {
    std::unique_lock lock(mutex_);
    index_.swap(fresh);
  }
  fresh.reset();  // the previous list, if any, is freed before measuring
  // Wall time depends on PostgreSQL and on what else runs; this thread's CPU time is our own cost.
  log::info("suppression list loaded: {} entries in {:.2f} s ({:.2f} s CPU in policyd), resident {} MiB{}", entries,
            seconds, threadCpuSeconds() - cpu_started, residentKib() / 1024,
            skipped ? fmt::format(" ({} unreadable rows skipped)", skipped) : "");
  return {};
}

Status SuppressionFeed::applyNotifications(PgConnection& conn) {
  if (PQconsumeInput(conn.raw()) == 0 || conn.broken())
    return makeError(fmt::format("database connection lost: {}", PQerrorMessage(conn.raw())));
  while (PGnotify* notify = PQnotifies(conn.raw())) {
    const std::string payload = notify->extra ? notify->extra : "";
    PQfreemem(notify);
    if (payload.find("\"reload\"") != std::string::npos) {
      if (auto loaded = loadAll(conn); !loaded) return loaded;
      continue;
    }
    applyChange(payload);
  }
  return {};
}

void SuppressionFeed::applyChange(std::string_view payload) {
  const auto change = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (!change.is_object()) {
    log::warning("suppression list: ignoring unreadable notification '{}'", payload);
    return;
  }
  auto scope = policy::parseSuppressionScope(change.value("scope", ""));
  auto reason = policy::parseSuppressionReason(change.value("reason", ""));
  if (!scope || !reason) {
    log::warning("suppression list: ignoring notification with unknown scope or reason '{}'", payload);
    return;
  }
  policy::Suppression row{change.value("recipient", ""), *scope, change.value("scope_value", ""), *reason,
                          static_cast<std::int64_t>(change.value("since", 0.0))};
  const bool erase = change.value("op", "") == "delete";
  std::unique_lock lock(mutex_);
  if (!index_) return;  // not loaded yet: the coming load includes this change
  if (erase) index_->erase(row.recipient, row.scope, row.scope_value);
  else index_->upsert(row);
  log::debug("suppression list: {} {} ({} {})", erase ? "removed" : "added", row.recipient, policy::scopeName(row.scope),
             row.scope_value);
}

}  // namespace waybill::policyd
