// Sha256: SHA-256 over one or more pieces of bytes (RAII over OpenSSL's EVP_MD_CTX), for the
// content-derived ids and boundaries that must come out the same on a retried transaction.
//
//   Sha256 hash;
//   hash.update(recipient); hash.update("\n"); hash.update(raw);
//   const Sha256::Digest digest = hash.finish();
//   const Sha256::Digest once = sha256("suppressed\n...");
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace waybill {

class Sha256 {
 public:
  static constexpr std::size_t kDigestBytes = 32;
  using Digest = std::array<unsigned char, kDigestBytes>;

  Sha256();
  Sha256& update(std::string_view bytes);
  // The digest of everything updated so far; the object is then spent.
  Digest finish();

 private:
  struct FreeContext {
    void operator()(evp_md_ctx_st* context) const;
  };
  std::unique_ptr<evp_md_ctx_st, FreeContext> context_;
};

Sha256::Digest sha256(std::string_view bytes);
// Lower-case hexadecimal, two digits per byte.
std::string toHex(const Sha256::Digest& digest);

}  // namespace waybill
