#include "token/key_ring.h"

#include "util/private_file.h"

#include <fmt/format.h>
#include <openssl/rand.h>

#include <cerrno>
#include <cstring>
#include <sstream>

namespace waybill {
namespace {

constexpr std::size_t kMinSecretBytes = 32;

bool decodeHex(const std::string& hex, std::string& out) {
  if (hex.size() % 2 != 0) return false;
  out.clear();
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    unsigned value = 0;
    for (int j = 0; j < 2; ++j) {
      const char c = hex[i + static_cast<std::size_t>(j)];
      value <<= 4;
      if (c >= '0' && c <= '9') value |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') value |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') value |= static_cast<unsigned>(c - 'A' + 10);
      else return false;
    }
    out.push_back(static_cast<char>(value));
  }
  return true;
}

}  // namespace

void KeyRing::add(std::uint8_t key_id, std::string secret) {
  if (keys_.empty()) signing_key_id_ = key_id;
  macs_.insert_or_assign(key_id, HmacSha256(secret));
  keys_[key_id] = std::move(secret);
}

const HmacSha256* KeyRing::mac(std::uint8_t key_id) const {
  auto it = macs_.find(key_id);
  return it == macs_.end() ? nullptr : &it->second;
}

const std::string* KeyRing::find(std::uint8_t key_id) const {
  auto it = keys_.find(key_id);
  return it == keys_.end() ? nullptr : &it->second;
}

Result<KeyRing> KeyRing::parse(const std::string& text) {
  KeyRing ring;
  std::istringstream in(text);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::istringstream fields(line);
    std::string id_text, hex, extra;
    if (!(fields >> id_text)) continue;
    if (!(fields >> hex) || (fields >> extra))
      return makeError(fmt::format("line {}: expected 'KEYID SECRET_HEX'", number));
    char* end = nullptr;
    const long id = std::strtol(id_text.c_str(), &end, 10);
    if (*end != '\0' || id < 0 || id > 255) return makeError(fmt::format("line {}: key id must be 0..255", number));
    std::string secret;
    if (!decodeHex(hex, secret)) return makeError(fmt::format("line {}: secret is not hexadecimal", number));
    if (secret.size() < kMinSecretBytes)
      return makeError(fmt::format("line {}: secret must be at least {} bytes", number, kMinSecretBytes));
    if (ring.find(static_cast<std::uint8_t>(id))) return makeError(fmt::format("line {}: key id {} repeated", number, id));
    ring.add(static_cast<std::uint8_t>(id), std::move(secret));
  }
  if (ring.empty()) return makeError("no key found");
  return ring;
}

Result<KeyRing> KeyRing::loadFile(const std::string& path) {
  auto text = readPrivateFile(path, fmt::format("token key file '{}'", path));
  if (!text) return makeError(text.error());
  auto ring = parse(*text);
  if (!ring) return makeError(fmt::format("'{}' {}", path, ring.error()));
  return ring;
}

std::string KeyRing::generateLine(std::uint8_t key_id) {
  unsigned char secret[kMinSecretBytes];
  if (RAND_bytes(secret, sizeof secret) != 1) std::abort();
  std::string line = fmt::format("{} ", key_id);
  for (unsigned char b : secret) line += fmt::format("{:02x}", b);
  return line;
}

}  // namespace waybill
