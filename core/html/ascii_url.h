// The ASCII form of a link as a browser would request it (WHATWG URL: the message's charset decoded
// first, then the host as IDNA A-labels and every other non-ASCII byte percent-encoded as UTF-8).
// A tracked link's destination is stored and redirected to in this form: raw 8-bit bytes in a
// Location header are read as Latin-1 by HTTP clients, so the reader would land on another URL.
#pragma once

#include <string>
#include <string_view>

namespace waybill::html {

// `charset` is the MIME charset of the part the URL came from ("" means UTF-8). Total: bytes that
// do not decode in that charset are percent-encoded as they are; an ASCII URL comes back unchanged.
std::string asciiUrl(std::string_view url, std::string_view charset);

}  // namespace waybill::html
