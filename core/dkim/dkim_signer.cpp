#include "dkim/dkim_signer.h"

#include "dkim/opendkim_allocations.h"
#include "util/private_file.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <dlfcn.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <sstream>
#include <string_view>
#include <utility>

// libopendkim's header uses C's _Bool (see ENVIRONMENT.md).
#define _Bool bool
#include <opendkim/dkim.h>
#undef _Bool

namespace waybill::dkim {
namespace {

const unsigned char* bytes(const std::string& s) { return reinterpret_cast<const unsigned char*>(s.c_str()); }

// Keys parsed at load time, by their PEM text. libopendkim parses the PEM text it is given again
// for every signature, which with OpenSSL 3.0 costs ~0.65 ms (decoder set-up), more than an
// rsa-2048 signature; PEM_read_bio_PrivateKey below hands it a reference to the parsed key instead.
struct ParsedKeys {
  std::mutex mutex;
  std::map<std::string, EVP_PKEY*, std::less<>> by_pem;  // one reference each, for the process
};

ParsedKeys& parsedKeys() {
  static auto* keys = new ParsedKeys;  // never destroyed: signing may outlive static destructors
  return *keys;
}

void rememberParsed(const std::string& pem, EVP_PKEY* key) {
  auto& keys = parsedKeys();
  std::lock_guard lock(keys.mutex);
  if (keys.by_pem.contains(pem) || EVP_PKEY_up_ref(key) != 1) return;
  keys.by_pem.emplace(pem, key);
}

EVP_PKEY* findParsed(std::string_view pem) {
  auto& keys = parsedKeys();
  std::lock_guard lock(keys.mutex);
  auto it = keys.by_pem.find(pem);
  if (it == keys.by_pem.end() || EVP_PKEY_up_ref(it->second) != 1) return nullptr;
  return it->second;  // the caller's reference: libopendkim's EVP_PKEY_free drops it
}

Result<KeyAlgorithm> algorithmOf(const std::string& pem, const std::string& path) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr),
                                                          &EVP_PKEY_free);
  if (!key) return makeError(fmt::format("DKIM key '{}' is not a PEM private key", path));
  rememberParsed(pem, key.get());
  switch (EVP_PKEY_get_base_id(key.get())) {
    case EVP_PKEY_RSA:
      if (EVP_PKEY_get_bits(key.get()) < 1024)
        return makeError(fmt::format("DKIM key '{}' has {} bits; receivers reject under 1024", path, EVP_PKEY_get_bits(key.get())));
      return KeyAlgorithm::Rsa;
    case EVP_PKEY_ED25519: return KeyAlgorithm::Ed25519;
    default: return makeError(fmt::format("DKIM key '{}' is neither rsa nor ed25519", path));
  }
}

}  // namespace
}  // namespace waybill::dkim

// Defined in the executable, this comes before libcrypto's in symbol lookup, so libopendkim's
// per-signature call lands here. Our keys' exact PEM text (from a memory BIO, no passphrase)
// gets the parsed key; everything else goes to OpenSSL's function unchanged.
extern "C" EVP_PKEY* PEM_read_bio_PrivateKey(BIO* bio, EVP_PKEY** out, pem_password_cb* callback, void* user) {
  using Function = EVP_PKEY* (*)(BIO*, EVP_PKEY**, pem_password_cb*, void*);
  static const auto openssl = reinterpret_cast<Function>(dlsym(RTLD_NEXT, "PEM_read_bio_PrivateKey"));
  char* data = nullptr;
  if (out == nullptr && callback == nullptr && BIO_method_type(bio) == BIO_TYPE_MEM) {
    const long size = BIO_get_mem_data(bio, &data);
    if (size > 0)
      if (EVP_PKEY* key = waybill::dkim::findParsed(std::string_view(data, static_cast<std::size_t>(size)))) return key;
  }
  return openssl(bio, out, callback, user);
}

namespace waybill::dkim {

Result<SigningKey> loadSigningKey(const KeyEntry& entry) {
  auto pem = readPrivateFile(entry.key_path, fmt::format("DKIM key '{}' for {}", entry.key_path, entry.domain));
  if (!pem) return makeError(pem.error());
  if (pem->empty()) return makeError(fmt::format("cannot read DKIM key '{}' for {}: the file is empty", entry.key_path, entry.domain));
  SigningKey key{entry, std::move(*pem), KeyAlgorithm::Rsa};
  auto algorithm = algorithmOf(key.pem, entry.key_path);
  if (!algorithm) return makeError(algorithm.error());
  key.algorithm = *algorithm;
  return key;
}

const std::vector<std::string>& defaultSignedHeaders() {
  static const std::vector<std::string> headers = {
      "from", "to", "cc", "subject", "date", "message-id", "reply-to", "sender", "mime-version",
      "content-type", "content-transfer-encoding", "in-reply-to", "references", "list-id",
      "list-unsubscribe", "list-unsubscribe-post", "feedback-id"};
  return headers;
}

const std::vector<std::string>& defaultOversignedHeaders() {
  static const std::vector<std::string> headers = {"from", "list-unsubscribe", "list-unsubscribe-post"};
  return headers;
}

Result<std::unique_ptr<DkimLibrary>> DkimLibrary::create(const std::vector<std::string>& signed_headers,
                                                         const std::vector<std::string>& oversigned) {
  std::unique_ptr<DkimLibrary> library(new DkimLibrary);
  library->lib_ = dkim_init(&opendkim_allocations::allocate, &opendkim_allocations::release);
  if (!library->lib_) return makeError("libopendkim failed to initialise");
  library->signed_storage_ = signed_headers;
  library->oversigned_storage_ = oversigned;
  for (const auto& h : library->signed_storage_) library->signed_.push_back(h.c_str());
  for (const auto& h : library->oversigned_storage_) library->oversigned_.push_back(h.c_str());
  library->signed_.push_back(nullptr);
  library->oversigned_.push_back(nullptr);
  // FIXCRLF: libmilter folds header values with bare LF; canonicalise them as CRLF.
  unsigned int flags = DKIM_LIBFLAGS_FIXCRLF;
  if (dkim_options(library->lib_, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags) != DKIM_STAT_OK ||
      dkim_options(library->lib_, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS, library->signed_.data(), sizeof(char**)) != DKIM_STAT_OK ||
      dkim_options(library->lib_, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS, library->oversigned_.data(), sizeof(char**)) != DKIM_STAT_OK)
    return makeError("libopendkim refused the signing options");
  return library;
}

DkimLibrary::~DkimLibrary() {
  if (lib_) dkim_close(lib_);
}

Result<DkimSignature> DkimSignature::begin(const DkimLibrary& library, const SigningKey& key, const std::string& job_id) {
  DKIM_STAT status = DKIM_STAT_OK;
  const dkim_alg_t algorithm = key.algorithm == KeyAlgorithm::Ed25519 ? DKIM_SIGN_ED25519SHA256 : DKIM_SIGN_RSASHA256;
  const std::string id = job_id.empty() ? "waybill" : job_id;
  DkimSignature signature;
  DKIM* handle = dkim_sign(library.raw(), bytes(id), signature.owner_.get(),
                           const_cast<dkim_sigkey_t>(bytes(key.pem)), bytes(key.entry.selector), bytes(key.entry.domain),
                           DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, algorithm, -1, &status);
  signature.handle_ = handle;
  if (!handle || status != DKIM_STAT_OK)
    return makeError(fmt::format("DKIM signing with '{}' failed to start: {}", key.entry.name, dkim_getresultstr(status)));
  return signature;
}

DkimSignature::DkimSignature(DkimSignature&& other) noexcept
    : owner_(std::move(other.owner_)), handle_(std::exchange(other.handle_, nullptr)) {}
DkimSignature& DkimSignature::operator=(DkimSignature&& other) noexcept {
  std::swap(owner_, other.owner_);
  std::swap(handle_, other.handle_);
  return *this;
}
DkimSignature::~DkimSignature() { release(); }

std::string DkimSignature::release() {
  if (!owner_) return {};
  if (handle_) dkim_free(handle_);
  handle_ = nullptr;
  if (auto unexplained = opendkim_allocations::reclaimOrphans(owner_.get()); unexplained > 0)
    return fmt::format("libopendkim left {} unreleased block(s) after a signature", unexplained);
  return {};
}

Status DkimSignature::check(int status, const char* step) {
  if (status == DKIM_STAT_OK) return {};
  const char* detail = dkim_geterror(handle_);
  return makeError(fmt::format("DKIM {}: {}{}{}", step, dkim_getresultstr(status), detail ? ": " : "", detail ? detail : ""));
}

Status DkimSignature::header(std::string_view name, std::string_view value) {
  std::string field;
  field.reserve(name.size() + value.size() + 2);
  field.append(name).append(": ").append(value);
  return check(dkim_header(handle_, reinterpret_cast<u_char*>(field.data()), field.size()), "header");
}

Status DkimSignature::endOfHeaders() { return check(dkim_eoh(handle_), "end of headers"); }

Status DkimSignature::body(std::string_view chunk) {
  if (chunk.empty()) return {};
  std::string copy(chunk);  // libopendkim takes a non-const buffer
  return check(dkim_body(handle_, reinterpret_cast<u_char*>(copy.data()), copy.size()), "body");
}

Result<std::string> DkimSignature::finish() {
  if (auto s = check(dkim_eom(handle_, nullptr), "end of message"); !s) return makeError(s.error());
  u_char* buffer = nullptr;
  size_t length = 0;
  if (auto s = check(dkim_getsighdr_d(handle_, std::strlen("DKIM-Signature: "), &buffer, &length), "signature"); !s)
    return makeError(s.error());
  std::string value(reinterpret_cast<const char*>(buffer), length);  // the buffer is the handle's
  warning_ = release();
  return value;
}

}  // namespace waybill::dkim
