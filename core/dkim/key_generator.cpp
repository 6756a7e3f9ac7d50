#include "dkim/key_generator.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

namespace waybill::dkim {
namespace {

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;

std::string base64(const unsigned char* data, std::size_t length) {
  std::string out(4 * ((length + 2) / 3), '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(length));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

Result<std::string> publicOf(EVP_PKEY* key) {
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519) {
    unsigned char raw[32];
    std::size_t length = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(key, raw, &length) != 1) return makeError("cannot extract the ed25519 public key");
    return base64(raw, length);
  }
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(key, &der);
  if (length <= 0) return makeError("cannot encode the public key");
  std::string out = base64(der, static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

}  // namespace

Result<GeneratedKey> generateKey(KeyAlgorithm algorithm, int rsa_bits) {
  if (algorithm == KeyAlgorithm::Rsa && (rsa_bits < 1024 || rsa_bits > 8192))
    return makeError(fmt::format("rsa key size {} out of range 1024..8192", rsa_bits));
  PkeyPtr key(algorithm == KeyAlgorithm::Ed25519 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                                                 : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(rsa_bits)),
              &EVP_PKEY_free);
  if (!key) return makeError("key generation failed");
  BioPtr bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return makeError("cannot write the private key");
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  auto pub = publicOf(key.get());
  if (!pub) return makeError(pub.error());
  return GeneratedKey{std::string(data, static_cast<std::size_t>(length)), *pub};
}

Result<std::string> publicKeyBase64(const std::string& private_pem) {
  BioPtr bio(BIO_new_mem_buf(private_pem.data(), static_cast<int>(private_pem.size())), &BIO_free);
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  if (!key) return makeError("not a PEM private key");
  return publicOf(key.get());
}

std::string txtRecordValue(KeyAlgorithm algorithm, const std::string& public_base64) {
  const std::string text = fmt::format("v=DKIM1; k={}; p={}", algorithm == KeyAlgorithm::Ed25519 ? "ed25519" : "rsa", public_base64);
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 255) {
    if (!out.empty()) out += ' ';
    out += '"' + text.substr(i, 255) + '"';
  }
  return out;
}

std::string txtRecordLine(const std::string& selector, const std::string& domain, KeyAlgorithm algorithm,
                          const std::string& public_base64) {
  return fmt::format("{}._domainkey.{}. IN TXT ( {} )", selector, domain, txtRecordValue(algorithm, public_base64));
}

}  // namespace waybill::dkim
