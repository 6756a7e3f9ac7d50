// Reading Postfix queue files (the record format of src/global/record.c): each record is one
// type byte, its length in base-128 digits (low digit first, high bit: more follow), then data.
// Used by waybill-hold-helper to cancel suppressed recipients of a message in the hold queue:
// their REC_TYPE_RCPT ('R') records become REC_TYPE_DONE ('D'), in place, which is how Postfix's
// own queue manager marks a recipient it is finished with. Nothing else in the file changes.
//
//   for (auto offset : recipientRecordOffsets(bytes, {"bob@example.com"})) file[offset] = 'D';
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace waybill::postfix {

constexpr char kRecordRecipient = 'R';
constexpr char kRecordDone = 'D';
constexpr char kRecordPointer = 'p';  // data: the offset to read on at, space-padded; 0: none
constexpr char kRecordEnd = 'E';

// Offsets of the type byte of every live recipient record whose address equals one of
// `addresses` (case-insensitively), reading the records in Postfix's order (pointer records
// followed, up to the end record). An error for a file that is not a well-formed record stream.
Result<std::vector<std::size_t>> recipientRecordOffsets(std::string_view file, const std::vector<std::string>& addresses);

}  // namespace waybill::postfix
