// CopyStamp: the signed X-Waybill-Copy header on a per-recipient copy that waybill-milter
// re-injects through sendmail. When the copy passes the milter again, a valid stamp says "this
// is copy for recipient R of message M: track it for R only, record nothing twice"; a missing or
// forged one makes it an ordinary new message (so nobody can smuggle ids in from outside).
//
//   std::string value = makeCopyStamp(keys, message_id, recipient_id, "bob@example.com");
//   auto ids = verifyCopyStamp(keys, value, "bob@example.com");   // error if altered
#pragma once

#include <string>
#include <string_view>

#include "token/key_ring.h"
#include "util/result.h"
#include "util/uuid.h"

namespace waybill::milter {

inline constexpr const char* kCopyHeader = "X-Waybill-Copy";

struct CopyIds {
  Uuid message_id;
  Uuid recipient_id;
};

// "v1 KEYID MESSAGE-UUID RECIPIENT-UUID MAC" with MAC = hex HMAC-SHA256 over the rest and the
// lower-cased recipient address (a stamp is only good for the address it was made for).
std::string makeCopyStamp(const KeyRing& keys, const Uuid& message_id, const Uuid& recipient_id,
                          std::string_view address);
Result<CopyIds> verifyCopyStamp(const KeyRing& keys, std::string_view stamp, std::string_view address);

}  // namespace waybill::milter
