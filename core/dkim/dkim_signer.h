// DKIM signing over libopendkim (rsa-sha256 and ed25519-sha256, RFC 6376 / RFC 8463), shaped like
// the milter callbacks: headers, end of headers, body chunks, then the signature header. One
// DkimLibrary per process (thread-safe, immutable options); one DkimSignature per key and message.
//
//   auto lib = DkimLibrary::create();
//   auto key = loadSigningKey(entry);            // PEM, PKCS#1 or PKCS#8, rsa or ed25519
//   auto sig = DkimSignature::begin(**lib, *key, queue_id);
//   sig->header("From", "a@example.com"); ... sig->endOfHeaders(); sig->body(chunk); ...
//   auto value = sig->finish();                   // the DKIM-Signature field value
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dkim/signing_tables.h"
#include "util/result.h"

struct dkim_lib;
struct dkim;

namespace waybill::dkim {

enum class KeyAlgorithm { Rsa, Ed25519 };

struct SigningKey {
  KeyEntry entry;
  std::string pem;
  KeyAlgorithm algorithm = KeyAlgorithm::Rsa;
};

// Reads and checks a private key; the error names the key file and the problem.
Result<SigningKey> loadSigningKey(const KeyEntry& entry);

// Headers signed by default (lower case), and those over-signed so no copy can be added later.
const std::vector<std::string>& defaultSignedHeaders();
const std::vector<std::string>& defaultOversignedHeaders();

class DkimLibrary {
 public:
  static Result<std::unique_ptr<DkimLibrary>> create(const std::vector<std::string>& signed_headers = defaultSignedHeaders(),
                                                     const std::vector<std::string>& oversigned = defaultOversignedHeaders());
  ~DkimLibrary();
  DkimLibrary(const DkimLibrary&) = delete;
  DkimLibrary& operator=(const DkimLibrary&) = delete;
  dkim_lib* raw() const { return lib_; }

 private:
  DkimLibrary() = default;
  dkim_lib* lib_ = nullptr;
  std::vector<std::string> signed_storage_, oversigned_storage_;
  std::vector<const char*> signed_, oversigned_;  // NULL-terminated views handed to libopendkim
};

class DkimSignature {
 public:
  static Result<DkimSignature> begin(const DkimLibrary& library, const SigningKey& key, const std::string& job_id);
  DkimSignature(DkimSignature&&) noexcept;
  DkimSignature& operator=(DkimSignature&&) noexcept;
  ~DkimSignature();

  // value: as the MTA hands it, folding kept ("\n\t" or "\r\n\t").
  Status header(std::string_view name, std::string_view value);
  Status endOfHeaders();
  Status body(std::string_view chunk);  // CRLF line ends, as on the wire
  Result<std::string> finish();         // the DKIM-Signature value, folded
  // What finish() found wrong in libopendkim's memory (core does not log; the caller does), or "".
  const std::string& warning() const { return warning_; }

 private:
  DkimSignature() : owner_(std::make_unique<char>()) {}
  Status check(int status, const char* step);
  std::string release();  // frees the handle; returns a warning, or ""
  std::unique_ptr<char> owner_;  // tags libopendkim's allocations for this signature
  struct dkim* handle_ = nullptr;
  std::string warning_;
};

}  // namespace waybill::dkim
