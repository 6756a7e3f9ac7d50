#include "token/hmac_sha256.h"

#include <openssl/crypto.h>

// The SHA256_* functions are deprecated in OpenSSL 3 in favour of EVP, whose per-call fetch and
// context copies are exactly the cost this class exists to avoid; they remain supported in 3.x.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace waybill {
namespace {

constexpr std::size_t kBlockBytes = 64;

void keyedState(SHA256_CTX& state, const std::array<unsigned char, kBlockBytes>& key_block, unsigned char pad) {
  std::array<unsigned char, kBlockBytes> padded{};
  for (std::size_t i = 0; i < kBlockBytes; ++i) padded[i] = static_cast<unsigned char>(key_block[i] ^ pad);
  SHA256_Init(&state);
  SHA256_Update(&state, padded.data(), padded.size());
  OPENSSL_cleanse(padded.data(), padded.size());
}

}  // namespace

HmacSha256::HmacSha256(std::string_view key) {
  std::array<unsigned char, kBlockBytes> key_block{};  // RFC 2104: long keys are hashed first
  if (key.size() > kBlockBytes) SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), key_block.data());
  else std::copy(key.begin(), key.end(), reinterpret_cast<char*>(key_block.data()));
  keyedState(inner_, key_block, 0x36);
  keyedState(outer_, key_block, 0x5c);
  OPENSSL_cleanse(key_block.data(), key_block.size());
}

HmacSha256::Digest HmacSha256::mac(std::string_view data) const {
  Digest inner_digest;
  SHA256_CTX state = inner_;
  SHA256_Update(&state, data.data(), data.size());
  SHA256_Final(inner_digest.data(), &state);
  Digest digest;
  state = outer_;
  SHA256_Update(&state, inner_digest.data(), inner_digest.size());
  SHA256_Final(digest.data(), &state);
  OPENSSL_cleanse(&state, sizeof state);
  return digest;
}

}  // namespace waybill
