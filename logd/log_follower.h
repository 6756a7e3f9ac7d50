// LogFollower: reads a growing log file line by line, like `tail -F`, and knows exactly where it
// is (file identity + byte offset), so waybill-logd can store that position with the events of
// the lines before it. It survives rotation (rename + new file: the old file is read to its end
// first, also after a restart, when the rotated file is found by its identity next to the log)
// and truncation (copytruncate: reading restarts at 0). After a rename the writer may still hold
// the old file for a moment (syslog before its HUP, Postfix's old postlogd finishing its queue),
// so the old file is read until it has been quiet for `rotation_grace`.
//
//   LogFollower follower("/var/log/mail.log");
//   follower.resume(stored_position);     // or start at the beginning
//   while (auto line = follower.nextLine()) handle(line->text, follower.position());
//   if (!follower.switchIfRotated()) sleep();
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace waybill::logd {

struct FileIdentity {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  bool operator==(const FileIdentity&) const = default;
};

struct LogPosition {
  FileIdentity file;
  std::uint64_t offset = 0;  // just after the last line handed out
};

struct LogLine {
  std::string_view text;  // without the newline; valid until the next call
  bool too_long = false;  // cut: lines are capped (kMaxLogLineBytes); the rest was skipped
};

class LogFollower {
 public:
  explicit LogFollower(std::string path, std::chrono::milliseconds rotation_grace = std::chrono::seconds(2));
  ~LogFollower();
  LogFollower(const LogFollower&) = delete;
  LogFollower& operator=(const LogFollower&) = delete;

  // Opens the file the position names (the log itself, or its rotated predecessor next to it)
  // at its offset; without a position, or when that file is gone, the log from its start.
  // Returns a note for the operator when lines may have been missed, else an empty string.
  Result<std::string> resume(const std::optional<LogPosition>& stored);

  // The next complete line of the current file; nullopt at its end (a partial last line waits).
  std::optional<LogLine> nextLine();

  // At the end of the current file: moves on to the log's new file after a rotation (once the
  // old one has been quiet for the grace), or back to offset 0 after a truncation. True when it
  // did or the old file grew (read on at once), false to wait.
  bool switchIfRotated();

  LogPosition position() const { return {identity_, consumed_}; }
  bool isOpen() const { return fd_ >= 0; }
  std::uint64_t unreadBytes() const;  // of the current file, and of the log when rotated away

 private:
  bool openAt(const std::string& path, std::uint64_t offset);
  bool fill();

  std::string path_;
  std::chrono::milliseconds rotation_grace_;
  std::optional<std::chrono::steady_clock::time_point> old_file_quiet_since_;  // rotated away, at its end
  int fd_ = -1;
  FileIdentity identity_;
  std::uint64_t consumed_ = 0;  // offset of buffer_[begin_]
  std::string buffer_;
  std::size_t begin_ = 0;
  std::string line_;            // a capped line's kept part
};

std::optional<FileIdentity> identityOfPath(const std::string& path);

}  // namespace waybill::logd
