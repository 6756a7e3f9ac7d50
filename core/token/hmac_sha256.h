// HMAC-SHA256 with the key schedule done once: the inner and outer SHA-256 states after the
// padded key are kept, so each MAC costs two short hashes. OpenSSL's one-shot HMAC() looks the
// algorithm up through its provider machinery on every call (about 6 µs per tracking token,
// most of the rewriter's and trackd's time); this takes well under a microsecond.
#pragma once

#include <openssl/sha.h>

#include <array>
#include <string_view>

namespace waybill {

class HmacSha256 {
 public:
  static constexpr std::size_t kDigestBytes = 32;
  using Digest = std::array<unsigned char, kDigestBytes>;

  explicit HmacSha256(std::string_view key);
  Digest mac(std::string_view data) const;

 private:
  SHA256_CTX inner_{};
  SHA256_CTX outer_{};
};

}  // namespace waybill
