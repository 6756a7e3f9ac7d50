#include "stages/copy_stamp.h"

#include <openssl/crypto.h>

#include <sstream>

#include <fmt/format.h>

#include "mail/address.h"

namespace waybill::milter {
namespace {

std::string hexMac(const HmacSha256& key, std::string_view text) {
  std::string hex;
  for (unsigned char byte : key.mac(text)) hex += fmt::format("{:02x}", byte);
  return hex;
}

std::string signedText(unsigned key_id, const Uuid& message_id, const Uuid& recipient_id, std::string_view address) {
  return fmt::format("v1 {} {} {} {}", key_id, message_id.toString(), recipient_id.toString(), toLower(address));
}

}  // namespace

std::string makeCopyStamp(const KeyRing& keys, const Uuid& message_id, const Uuid& recipient_id,
                          std::string_view address) {
  const unsigned key_id = keys.signingKeyId();
  const HmacSha256* key = keys.mac(static_cast<std::uint8_t>(key_id));
  if (!key) throw std::logic_error("copy stamp: the key ring has no signing key");
  return fmt::format("v1 {} {} {} {}", key_id, message_id.toString(), recipient_id.toString(),
                     hexMac(*key, signedText(key_id, message_id, recipient_id, address)));
}

Result<CopyIds> verifyCopyStamp(const KeyRing& keys, std::string_view stamp, std::string_view address) {
  std::istringstream fields{std::string(stamp)};
  std::string version, message_text, recipient_text, mac;
  unsigned key_id = 256;
  if (!(fields >> version >> key_id >> message_text >> recipient_text >> mac) || version != "v1" || key_id > 255)
    return makeError("malformed copy stamp");
  const HmacSha256* key = keys.mac(static_cast<std::uint8_t>(key_id));
  auto message_id = Uuid::parse(message_text);
  auto recipient_id = Uuid::parse(recipient_text);
  if (!key || !message_id || !recipient_id) return makeError("copy stamp with an unknown key or bad ids");
  const std::string expected = hexMac(*key, signedText(key_id, *message_id, *recipient_id, address));
  if (expected.size() != mac.size() || CRYPTO_memcmp(expected.data(), mac.data(), mac.size()) != 0)
    return makeError("copy stamp signature does not verify");
  return CopyIds{*message_id, *recipient_id};
}

}  // namespace waybill::milter
