#include "delivery_log_reader.h"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "store/delivery_log_store.h"
#include "dsn/bounce_classifier.h"
#include "runtime/log.h"
#include "log_follower.h"

namespace waybill::logd {
namespace {

using store::LoggedAttempt;

store::LogFilePosition toStored(const LogPosition& position) {
  return {position.file.device, position.file.inode, position.offset};
}

LogPosition fromStored(const store::LogFilePosition& position) {
  return {{position.device, position.inode}, position.offset};
}

using Clock = std::chrono::steady_clock;
constexpr auto kWaitingLook = std::chrono::seconds(1);

// FNV-1a: stable across builds and hosts, enough to tell lines apart for the event id.
std::string digestOf(std::string_view text) {
  std::uint64_t hash = 1469598103934665603ULL;
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ULL;
  return fmt::format("{:016x}", hash);
}

void sleepUnlessStopped(std::chrono::milliseconds total, const std::atomic<bool>& stop) {
  const auto until = Clock::now() + total;
  while (!stop && Clock::now() < until) std::this_thread::sleep_for(std::min(total, std::chrono::milliseconds(50)));
}

double secondsSince(const std::string& iso_utc) {
  std::tm tm{};
  if (!strptime(iso_utc.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return 0;
  return std::max(0.0, std::difftime(std::time(nullptr), timegm(&tm)));
}

// Failed attempts get the reason and class waybill-pipe gives bounces, from the same classifier.
void classify(LoggedAttempt& attempt) {
  const auto& line = attempt.line;
  if (line.status == postfix::DeliveryStatus::Sent || line.status == postfix::DeliveryStatus::Queued) return;
  if (line.status == postfix::DeliveryStatus::Expired) {
    attempt.reason = "expired";
    attempt.bounce_class = "soft";
    return;
  }
  dsn::RecipientResult result;
  result.status = line.dsn;
  result.diagnostic = line.reply;
  // "host x[1.2.3.4] said: 550 5.1.1 ...": the SMTP reply code follows "said: ".
  if (auto said = line.reply.find("said: "); said != std::string::npos && line.reply.size() >= said + 9)
    result.reply_code = line.reply.substr(said + 6, 3);
  dsn::classifyRecipient(result);
  attempt.reason = result.reason;
  if (line.status == postfix::DeliveryStatus::Bounced) attempt.bounce_class = result.hard_bounce ? "hard" : "soft";
}

}  // namespace

std::string occurredAt(const postfix::LogTimestamp& t, std::time_t now) {
  std::tm tm{};
  tm.tm_mon = t.month - 1;
  tm.tm_mday = t.day;
  tm.tm_hour = t.hour;
  tm.tm_min = t.minute;
  tm.tm_sec = t.second;
  std::time_t when;
  if (t.has_offset) {
    tm.tm_year = t.year - 1900;
    when = timegm(&tm) - static_cast<std::time_t>(t.utc_offset_minutes) * 60;
  } else {
    std::tm local_now{};
    localtime_r(&now, &local_now);
    tm.tm_year = t.has_year ? t.year - 1900 : local_now.tm_year;
    tm.tm_isdst = -1;
    std::tm copy = tm;
    when = mktime(&copy);
    if (!t.has_year && when > now + 86400) {  // December's lines read in January
      tm.tm_year -= 1;
      copy = tm;
      when = mktime(&copy);
    }
  }
  std::tm utc{};
  gmtime_r(&when, &utc);  // normalised: whatever the line said, PostgreSQL gets a valid time
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:06d}Z", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                     utc.tm_hour, utc.tm_min, utc.tm_sec, t.microsecond);
}

struct DeliveryLogReader::Batch {
  std::vector<LoggedAttempt> attempts;
  LogPosition end;
  std::string last_line;  // digest of the last line read
};

std::string positionKey(const std::string& log_file) {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host) + ":" + log_file;
}

DeliveryLogReader::DeliveryLogReader(const Config& config, LogdMetrics& metrics)
    : pool_(config.database), settings_(config.logd), position_key_(positionKey(config.logd.log_file)), metrics_(metrics) {}

bool DeliveryLogReader::store(Batch& batch, const std::atomic<bool>& stop) {
  const std::string line_time = batch.attempts.empty() ? std::string() : batch.attempts.back().occurred_at;
  auto last_warning = Clock::now() - std::chrono::hours(1);
  for (int failures = 0; !stop; ++failures) {
    auto stored = pool_.withConnection([&](PgConnection& conn) {
      return store::storeBatch(conn, position_key_, batch.attempts, toStored(batch.end), line_time, batch.last_line);
    });
    if (stored) {
      metrics_.database_up->Set(1);
      metrics_.ignored_unknown->Increment(static_cast<double>(stored->attempts - stored->matched - stored->parked));
      waiting_ = stored->waiting;
      metrics_.waiting->Set(static_cast<double>(waiting_));
      metrics_.duplicates->Increment(static_cast<double>(stored->duplicates));
      metrics_.delivered->Increment(static_cast<double>(stored->delivered));
      metrics_.deferred->Increment(static_cast<double>(stored->deferred));
      metrics_.bounced->Increment(static_cast<double>(stored->bounced));
      if (failures > 0) log::info("stored again after {} failed attempt(s)", failures);
      return true;
    }
    metrics_.database_up->Set(0);
    metrics_.store_failures->Increment();
    if (!batch.attempts.empty()) metrics_.lag_seconds->Set(secondsSince(batch.attempts.front().occurred_at));
    // One line per 30 s at most while the database is away.
    if (Clock::now() - last_warning > std::chrono::seconds(30)) {
      log::warning("cannot store {} delivery attempt(s) yet ({}); retrying until the database is back",
                   batch.attempts.size(), stored.error());
      last_warning = Clock::now();
    }
    sleepUnlessStopped(std::chrono::milliseconds(std::min(5000, 250 << std::min(failures, 5))), stop);
  }
  return false;
}

std::optional<std::optional<LogPosition>> DeliveryLogReader::loadStoredPosition(const std::atomic<bool>& stop) {
  for (int failures = 0; !stop; ++failures) {
    auto loaded = pool_.withConnection([&](PgConnection& conn) { return store::loadPosition(conn, position_key_); });
    if (loaded) {
      metrics_.database_up->Set(1);
      if (!*loaded) return std::optional<LogPosition>();
      return std::optional<LogPosition>(fromStored(**loaded));
    }
    if (failures == 0) log::warning("cannot read the stored log position ({}); retrying", loaded.error());
    sleepUnlessStopped(std::chrono::seconds(1), stop);
  }
  return std::nullopt;  // stopped
}

// Lines up to batch_lines attempts (and ten times as many lines in all), or to the end of the file.
bool DeliveryLogReader::readBatch(LogFollower& follower, Batch& batch) {
  const auto max_attempts = static_cast<std::size_t>(settings_.batch_lines);
  std::string clean;
  for (std::size_t lines = 0; batch.attempts.size() < max_attempts && lines < 10 * max_attempts; ++lines) {
    auto line = follower.nextLine();
    if (!line) return true;
    metrics_.lines->Increment();
    batch.last_line = digestOf(line->text);
    if (line->too_long) {
      metrics_.ignored_long->Increment();
      continue;
    }
    std::string_view text = line->text;
    if (text.find('\0') != std::string_view::npos) {  // PostgreSQL text cannot hold NUL
      clean.assign(text);
      std::replace(clean.begin(), clean.end(), '\0', '?');
      text = clean;
    }
    auto parsed = postfix::parseDeliveryLogLine(text);
    if (!parsed) continue;
    if (parsed->status != postfix::DeliveryStatus::Queued) metrics_.attempts->Increment();
    std::string at = occurredAt(parsed->time, std::time(nullptr));
    batch.attempts.push_back({std::move(*parsed), std::move(at), digestOf(text), {}, {}});
    classify(batch.attempts.back());
  }
  return false;
}

void DeliveryLogReader::run(const std::atomic<bool>& stop) {
  auto stored_position = loadStoredPosition(stop);
  if (!stored_position) return;
  LogFollower follower(settings_.log_file);
  if (auto note = follower.resume(*stored_position); note && !note->empty()) log::warning("{}", *note);
  log::info("following {} from {}", settings_.log_file,
            *stored_position ? fmt::format("offset {}", follower.position().offset) : std::string("its start"));
  LogPosition committed = follower.position();
  std::string committed_line;
  // Parked attempts (a copy's, read before its recipient was recorded) are looked at again once a
  // second while no new line comes; at the start too, for those an earlier run parked.
  waiting_ = 1;
  auto last_look = Clock::now() - kWaitingLook;
  bool have_position = stored_position->has_value();  // an idle look stores the position it read
  while (!stop) {
    Batch batch;
    const bool at_end = readBatch(follower, batch);
    batch.end = follower.position();
    const bool moved = !(batch.end.file == committed.file && batch.end.offset == committed.offset);
    if (moved || (waiting_ > 0 && have_position && Clock::now() - last_look >= kWaitingLook)) {
      if (!moved) batch.last_line = committed_line;
      if (!store(batch, stop)) return;  // stopped: the next start reads the batch again
      committed = batch.end;
      committed_line = batch.last_line;
      last_look = Clock::now();
      have_position = true;
    }
    metrics_.lag_bytes->Set(static_cast<double>(follower.unreadBytes()));
    metrics_.lag_seconds->Set(at_end || batch.attempts.empty() ? 0.0 : secondsSince(batch.attempts.back().occurred_at));
    if (at_end && !follower.switchIfRotated()) sleepUnlessStopped(std::chrono::milliseconds(settings_.poll_ms), stop);
  }
}

}  // namespace waybill::logd
