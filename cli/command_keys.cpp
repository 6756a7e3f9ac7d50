// `waybill keys token [--id N]`: prints a new tracking-token key line for tracking.key_file.
// `waybill keys generate --domain D --selector S --algorithm rsa|ed25519 [--bits N] [--dir DIR]`:
// writes a DKIM private key (mode 0600, never overwriting) and prints its DNS TXT record and the
// KeyTable / SigningTable lines to add.
#include <fcntl.h>
#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>

#include "commands.h"
#include "dkim/key_generator.h"
#include "token/key_ring.h"

namespace waybill::cli {
namespace {

constexpr const char* kUsage =
    "usage: waybill keys token [--id 0..255]\n"
    "       waybill keys generate --domain DOMAIN --selector SELECTOR --algorithm rsa|ed25519 [--bits 2048] [--dir /etc/waybill/dkim]\n";

int tokenKey(const Args& args) {
  int id = 1;
  if (args.size() == 2 && args[0] == "--id") id = std::atoi(args[1].c_str());
  if (id < 0 || id > 255 || (!args.empty() && args.size() != 2)) {
    fmt::print(stderr, "{}", kUsage);
    return 64;
  }
  fmt::print("{}\n", KeyRing::generateLine(static_cast<std::uint8_t>(id)));
  return 0;
}

// Parses "--name value" pairs; false on anything else.
bool parseFlags(const Args& args, std::map<std::string, std::string>& flags) {
  for (std::size_t i = 0; i < args.size(); i += 2) {
    if (args[i].rfind("--", 0) != 0 || i + 1 >= args.size()) return false;
    flags[args[i].substr(2)] = args[i + 1];
  }
  return true;
}

bool writePrivateFile(const std::string& path, const std::string& content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  const bool ok = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  // The daemons run as the waybill user: give it the key when that user exists.
  if (const passwd* user = ::getpwnam("waybill")) (void)::fchown(fd, user->pw_uid, user->pw_gid);
  return ::close(fd) == 0 && ok;
}

int generateDkimKey(const Args& args) {
  std::map<std::string, std::string> flags{{"bits", "2048"}, {"dir", "/etc/waybill/dkim"}};
  if (!parseFlags(args, flags) || !flags.count("domain") || !flags.count("selector") || !flags.count("algorithm")) {
    fmt::print(stderr, "{}", kUsage);
    return 64;
  }
  const std::string& algorithm_name = flags["algorithm"];
  if (algorithm_name != "rsa" && algorithm_name != "ed25519") {
    fmt::print(stderr, "waybill keys generate: --algorithm must be rsa or ed25519, not '{}'\n", algorithm_name);
    return 64;
  }
  const auto algorithm = algorithm_name == "rsa" ? dkim::KeyAlgorithm::Rsa : dkim::KeyAlgorithm::Ed25519;
  auto key = dkim::generateKey(algorithm, std::atoi(flags["bits"].c_str()));
  if (!key) {
    fmt::print(stderr, "waybill keys generate: {}\n", key.error());
    return 64;
  }
  const std::string& domain = flags["domain"];
  const std::string& selector = flags["selector"];
  std::error_code ec;
  std::filesystem::create_directories(flags["dir"], ec);
  const std::string path = fmt::format("{}/{}.{}.key", flags["dir"], domain, selector);
  if (!writePrivateFile(path, key->private_pem)) {
    fmt::print(stderr, "waybill keys generate: cannot create '{}': {}\n", path, std::strerror(errno));
    return 73;  // EX_CANTCREAT
  }
  const std::string name = fmt::format("{}-{}", selector, domain);
  fmt::print("wrote {} (mode 0600)\n\n", path);
  fmt::print("# DNS: publish this TXT record\n{}\n\n", dkim::txtRecordLine(selector, domain, algorithm, key->public_base64));
  fmt::print("# dkim.key_table: add\n{} {}:{}:{}\n\n", name, domain, selector, path);
  fmt::print("# dkim.signing_table: add\n*@{} {}\n", domain, name);
  return 0;
}

}  // namespace

int runKeys(const Config&, const Args& args) {
  const Args rest = args.empty() ? Args{} : Args(args.begin() + 1, args.end());
  if (!args.empty() && args[0] == "token") return tokenKey(rest);
  if (!args.empty() && args[0] == "generate") return generateDkimKey(rest);
  fmt::print(stderr, "{}", kUsage);
  return 64;
}

}  // namespace waybill::cli
