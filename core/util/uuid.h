// Uuid: 16 random bytes (RFC 4122 version 4) naming messages, recipients and events. Generated
// locally so that tokens can be minted before the database round trip, and events replayed
// idempotently.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.h"

namespace waybill {

struct Uuid {
  std::array<std::uint8_t, 16> bytes{};

  static Uuid random();  // OpenSSL RAND_bytes; aborts if the CSPRNG fails
  static Result<Uuid> parse(std::string_view text);  // 8-4-4-4-12 hex
  std::string toString() const;
  bool operator==(const Uuid&) const = default;
};

}  // namespace waybill
