#include "postfix/queue_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "mail/address.h"

namespace waybill::postfix {

Result<std::vector<std::size_t>> recipientRecordOffsets(std::string_view file, const std::vector<std::string>& addresses) {
  std::vector<std::string> wanted;
  for (const auto& address : addresses) wanted.push_back(toLower(address));
  std::vector<std::size_t> offsets;
  std::size_t at = 0;
  std::size_t jumps = 0;
  constexpr std::size_t kMaxJumps = 1u << 20;  // a pointer loop in a corrupt file ends here
  while (at < file.size()) {
    const std::size_t record = at++;
    std::size_t length = 0;
    int shift = 0;
    for (;;) {
      if (at >= file.size() || shift > 28) return makeError(fmt::format("queue file: bad record length at offset {}", record));
      const auto digit = static_cast<unsigned char>(file[at++]);
      length |= static_cast<std::size_t>(digit & 0x7F) << shift;
      shift += 7;
      if ((digit & 0x80) == 0) break;
    }
    if (length > file.size() - at) return makeError(fmt::format("queue file: record at offset {} runs past the end", record));
    const std::string_view data = file.substr(at, length);
    at += length;
    const char type = file[record];
    if (type == kRecordEnd) break;
    if (type == kRecordPointer) {
      // An edited queue file is read by following pointers (cleanup overwrites a changed record
      // with a jump to its new copy and leaves the old bytes behind): do as Postfix does.
      std::size_t target = 0;
      const auto digits = data.substr(std::min(data.find_first_not_of(' '), data.size()));
      auto parsed = std::from_chars(digits.data(), digits.data() + digits.size(), target);
      if (parsed.ec != std::errc() || target >= file.size() || ++jumps > kMaxJumps)
        return makeError(fmt::format("queue file: bad pointer record at offset {}", record));
      if (target != 0) at = target;
      continue;
    }
    if (type == kRecordRecipient && std::find(wanted.begin(), wanted.end(), toLower(data)) != wanted.end() &&
        std::find(offsets.begin(), offsets.end(), record) == offsets.end())
      offsets.push_back(record);
  }
  return offsets;
}

}  // namespace waybill::postfix
