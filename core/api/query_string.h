// The query string of an API request ("recipient=ann%40example.net&type=clicked"): names and
// values percent-decoded ('+' is a space); the last of a repeated name wins; malformed escapes
// are an error naming the parameter.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "util/result.h"

namespace waybill::api {

Result<std::map<std::string, std::string>> parseQueryString(std::string_view query);

}  // namespace waybill::api
