// BodySpool: a message body kept in memory up to a threshold and in an unlinked temporary file
// past it, so a 50 MB message costs the milter a bounded amount of resident memory. Written
// once by appends, then read back any number of times in chunks.
//
//   BodySpool spool("/var/tmp", 1 << 20);
//   spool.append(chunk);                       // may spill to the file
//   spool.forEachChunk([](std::string_view c) { return send(c); });
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace waybill::mime {

class BodySpool {
 public:
  BodySpool(std::string directory, std::size_t memory_limit);
  ~BodySpool();
  BodySpool(const BodySpool&) = delete;
  BodySpool& operator=(const BodySpool&) = delete;

  Status append(std::string_view bytes);
  // Calls `consume` for consecutive chunks of the whole body; stops at the first error.
  Status forEachChunk(const std::function<Status(std::string_view)>& consume, std::size_t chunk_size = 65536) const;
  std::size_t size() const { return size_; }
  bool spilled() const { return fd_ >= 0; }

 private:
  static constexpr std::size_t kWriteBatch = 64u << 10;
  Status spill();
  Status flush() const;  // writes write_buffer_ out (const: reading needs the file complete)

  std::string directory_;
  std::size_t memory_limit_;
  std::string memory_;
  mutable std::string write_buffer_;
  int fd_ = -1;
  std::size_t size_ = 0;
};

}  // namespace waybill::mime
