// readPrivateFile: reads a secret — a DKIM private key, the token key file — and refuses one that
// other users may read or write, as OpenSSH refuses an unprotected private key: a key others can
// read has leaked already. Group access is fine (the package's layout is root:DAEMON-GROUP 0640).
//
//   auto pem = readPrivateFile(path, fmt::format("DKIM key '{}' for {}", path, domain));
//   if (!pem) return makeError(pem.error());  // one line naming the file and what to do
#pragma once

#include <string>
#include <sys/types.h>

#include "util/result.h"

namespace waybill {

// True when a file of this mode may be read or written by users outside its owner and group.
constexpr bool isOpenToOthers(mode_t mode) { return (mode & 0007) != 0; }

// The file's bytes. `what` names it in the error: "cannot read WHAT: REASON", or, when others
// may read or write it, "WHAT is open to other users (mode 0644): refused; chmod o-rwx PATH".
Result<std::string> readPrivateFile(const std::string& path, const std::string& what);

}  // namespace waybill
