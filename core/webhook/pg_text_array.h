// pgTextArray: a PostgreSQL array literal ('{"a","b"}') for passing many values as one
// parameter ($1::uuid[], $2::text[]) to unnest() or = ANY(), so a batch is one round trip.
#pragma once

#include <string>
#include <vector>

namespace waybill::webhook {

std::string pgTextArray(const std::vector<std::string>& values);

}  // namespace waybill::webhook
