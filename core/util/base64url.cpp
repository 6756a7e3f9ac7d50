#include "util/base64url.h"

#include <array>
#include <cstdint>

namespace waybill {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<std::int8_t, 256> makeReverse() {
  std::array<std::int8_t, 256> table{};
  for (auto& v : table) v = -1;
  for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  return table;
}
constexpr auto kReverse = makeReverse();

}  // namespace

// Both directions write into a pre-sized buffer: appending per character was most of a
// tracking token's cost.
std::string base64UrlEncode(std::string_view bytes) {
  std::string out((bytes.size() * 4 + 2) / 3, '\0');
  char* o = out.data();
  const auto byte = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])); };
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t n = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    *o++ = kAlphabet[n >> 18 & 63];
    *o++ = kAlphabet[n >> 12 & 63];
    *o++ = kAlphabet[n >> 6 & 63];
    *o++ = kAlphabet[n & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    const std::uint32_t n = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0u);
    *o++ = kAlphabet[n >> 18 & 63];
    *o++ = kAlphabet[n >> 12 & 63];
    if (rest == 2) *o++ = kAlphabet[n >> 6 & 63];
  }
  return out;
}

std::optional<std::string> base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out(text.size() * 3 / 4, '\0');
  char* o = out.data();
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int v = kReverse[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *o++ = static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  // Leftover bits must be zero, so each token has exactly one spelling.
  if ((buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
  out.resize(static_cast<std::size_t>(o - out.data()));
  return out;
}

}  // namespace waybill
