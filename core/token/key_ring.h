// KeyRing: the HMAC keys that sign and verify tracking tokens. The key file (tracking.key_file)
// has one key per line, `KEYID SECRET_HEX`, KEYID 0..255, SECRET at least 32 bytes; `#` starts a
// comment. The first key signs; every listed key verifies, so a key can be rotated by putting a
// new one first and keeping the old one until its mail is no longer clicked.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "token/hmac_sha256.h"
#include "util/result.h"

namespace waybill {

class KeyRing {
 public:
  static Result<KeyRing> parse(const std::string& text);
  static Result<KeyRing> loadFile(const std::string& path);
  // A fresh key file line with a random 32-byte secret (used by `waybill keys generate`).
  static std::string generateLine(std::uint8_t key_id);

  void add(std::uint8_t key_id, std::string secret);  // later adds do not change the signing key
  std::uint8_t signingKeyId() const { return signing_key_id_; }
  const std::string* find(std::uint8_t key_id) const;
  const HmacSha256* mac(std::uint8_t key_id) const;  // the key, scheduled for HMAC-SHA256
  bool empty() const { return keys_.empty(); }

 private:
  std::map<std::uint8_t, std::string> keys_;
  std::map<std::uint8_t, HmacSha256> macs_;
  std::uint8_t signing_key_id_ = 0;
};

}  // namespace waybill
