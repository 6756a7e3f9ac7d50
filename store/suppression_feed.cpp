#include "suppression_feed.h"

#include <nlohmann/json.hpp>
#include <poll.h>

#include <charconv>
#include <ctime>
#include <fstream>

#include "runtime/log.h"

namespace waybill {
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
    if (reload_requested_.exchange(false)) {
      if (auto loaded_again = loadAll(conn); !loaded_again) return loaded_again;
      log::info("suppression list loaded again on request");
    }
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

// Drains every pending notification, then reads the rows they name: deletions first, then the
// current state of every upserted id, so a key deleted and inserted again in one batch stays.
Status SuppressionFeed::applyNotifications(PgConnection& conn) {
  if (PQconsumeInput(conn.raw()) == 0 || conn.broken())
    return makeError(fmt::format("database connection lost: {}", PQerrorMessage(conn.raw())));
  std::vector<std::string> deleted, upserted;
  bool reload = false;
  while (PGnotify* notify = PQnotifies(conn.raw())) {
    const auto change = nlohmann::json::parse(notify->extra ? notify->extra : "", nullptr, /*allow_exceptions=*/false);
    PQfreemem(notify);
    const std::string op = change.is_object() ? change.value("op", "") : "";
    if (op == "reload") reload = true;
    else if (change.is_object() && change.contains("id") && change["id"].is_number_integer())
      (op == "delete" ? deleted : upserted).push_back(std::to_string(change["id"].get<std::int64_t>()));
    else log::warning("suppression list: ignoring unreadable notification ({})", change.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  if (reload) return loadAll(conn);  // the whole list again includes every change above
  if (!deleted.empty())
    if (auto applied = applyDeletions(conn, deleted); !applied) return applied;
  if (!upserted.empty()) return applyUpserts(conn, upserted);
  return {};
}

namespace {

std::string idArray(const std::vector<std::string>& ids) {
  std::string array = "{";
  for (const auto& id : ids) array += (array.size() > 1 ? "," : "") + id;
  return array + "}";
}

}  // namespace

Status SuppressionFeed::applyDeletions(PgConnection& conn, const std::vector<std::string>& ids) {
  auto rows = conn.exec("SELECT recipient, scope, scope_value FROM suppression_deletions WHERE id = ANY($1::bigint[])",
                        {idArray(ids)});
  if (!rows) return makeError("reading suppression deletions: " + rows.error());
  // Pruned before we read them (away for over an hour): only the whole list is sure.
  if (rows->rows() < static_cast<int>(ids.size())) return loadAll(conn);
  std::unique_lock lock(mutex_);
  if (!index_) return {};  // not loaded yet: the coming load has the change
  for (int row = 0; row < rows->rows(); ++row) {
    auto scope = policy::parseSuppressionScope(rows->get(row, 1));
    if (!scope) continue;
    index_->erase(rows->get(row, 0), *scope, rows->get(row, 2));
    log::debug("suppression list: removed {} ({} {})", rows->get(row, 0), rows->get(row, 1), rows->get(row, 2));
  }
  return {};
}

// An id whose row is gone was deleted since; its deletion has its own notification.
Status SuppressionFeed::applyUpserts(PgConnection& conn, const std::vector<std::string>& ids) {
  auto rows = conn.exec(
      "SELECT recipient, scope, scope_value, reason, floor(extract(epoch FROM created_at))::bigint"
      " FROM suppressions WHERE id = ANY($1::bigint[])",
      {idArray(ids)});
  if (!rows) return makeError("reading suppressions: " + rows.error());
  std::unique_lock lock(mutex_);
  if (!index_) return {};
  for (int row = 0; row < rows->rows(); ++row) {
    auto scope = policy::parseSuppressionScope(rows->get(row, 1));
    auto reason = policy::parseSuppressionReason(rows->get(row, 3));
    if (!scope || !reason) continue;
    std::int64_t since = 0;
    const auto since_text = rows->get(row, 4);
    std::from_chars(since_text.data(), since_text.data() + since_text.size(), since);
    index_->upsert(policy::Suppression{std::string(rows->get(row, 0)), *scope, std::string(rows->get(row, 2)), *reason, since});
    log::debug("suppression list: added {} ({} {})", rows->get(row, 0), rows->get(row, 1), rows->get(row, 2));
  }
  return {};
}

}  // namespace waybill
