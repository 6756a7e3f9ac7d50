// Test tool: signs the message on stdin with core/dkim's MessageSigner and writes it, with its
// DKIM-Signature headers prepended and CRLF line ends, to stdout — so an independent verifier
// (dkimpy) can check the core signer without an MTA.
//   dkim_sign_tool KEYTABLE SIGNINGTABLE FROM_ADDRESS < message > signed
#include <fmt/format.h>

#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "dkim/message_signer.h"

namespace {

std::string toCrlf(const std::string& text) {
  std::string out;
  out.reserve(text.size() + text.size() / 40);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out += '\r';
    out += text[i];
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    fmt::print(stderr, "usage: dkim_sign_tool KEYTABLE SIGNINGTABLE FROM < message\n");
    return 64;
  }
  const std::string message = toCrlf(std::string(std::istreambuf_iterator<char>(std::cin), {}));
  const auto split = message.find("\r\n\r\n");
  const std::string head = message.substr(0, split == std::string::npos ? message.size() : split + 2);
  const std::string body = split == std::string::npos ? "" : message.substr(split + 4);

  std::vector<std::pair<std::string, std::string>> headers;  // value keeps its CRLF folding
  for (std::size_t at = 0; at < head.size();) {
    auto end = head.find("\r\n", at);
    while (end != std::string::npos && end + 2 < head.size() && (head[end + 2] == ' ' || head[end + 2] == '\t'))
      end = head.find("\r\n", end + 2);
    const std::string field = head.substr(at, end - at);
    const auto colon = field.find(':');
    std::string value = field.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);  // as libmilter hands it
    headers.emplace_back(field.substr(0, colon), value);
    at = end + 2;
  }

  auto signer = waybill::dkim::MessageSigner::load(argv[1], argv[2], "");
  if (!signer) {
    fmt::print(stderr, "{}\n", signer.error());
    return 78;
  }
  auto signing = (*signer)->begin(argv[3], "tool");
  if (!signing) {
    fmt::print(stderr, "{}\n", signing.error());
    return 75;
  }
  for (const auto& [name, value] : headers) (void)signing->header(name, value);
  (void)signing->endOfHeaders();
  (void)signing->body(body);
  auto values = signing->finish();
  if (!values) {
    fmt::print(stderr, "{}\n", values.error());
    return 70;
  }
  for (const auto& value : *values) std::cout << "DKIM-Signature: " << toCrlf(value) << "\r\n";
  std::cout << head << "\r\n" << body;
  return 0;
}
