// New DKIM keys for `waybill keys generate`: the private key as PEM (PKCS#8, as
// `openssl genpkey` writes it) and the DNS TXT record publishing its public half.
#pragma once

#include <string>
#include <vector>

#include "dkim/dkim_signer.h"
#include "util/result.h"

namespace waybill::dkim {

struct GeneratedKey {
  std::string private_pem;
  std::string public_base64;  // rsa: SubjectPublicKeyInfo DER; ed25519: the raw 32 bytes (RFC 8463)
};

Result<GeneratedKey> generateKey(KeyAlgorithm algorithm, int rsa_bits = 2048);
// Public key of a PEM private key, in the same form as GeneratedKey::public_base64.
Result<std::string> publicKeyBase64(const std::string& private_pem);
// "v=DKIM1; k=rsa; p=..." split into quoted strings of at most 255 octets, as DNS needs.
std::string txtRecordValue(KeyAlgorithm algorithm, const std::string& public_base64);
// The zone file line: SELECTOR._domainkey.DOMAIN. IN TXT ( "..." "..." )
std::string txtRecordLine(const std::string& selector, const std::string& domain, KeyAlgorithm algorithm,
                          const std::string& public_base64);

}  // namespace waybill::dkim
