// `waybill keys token [--id N]`: prints a new tracking-token key line for tracking.key_file.
// `waybill keys generate --domain D --selector S --algorithm rsa|ed25519 [--bits N] [--dir DIR]`:
// writes a DKIM private key (never overwriting; the package's layout root:waybill_milter 0640 when
// that group exists, else 0600) and prints its DNS TXT record and the KeyTable / SigningTable lines.
#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>

#include "cli_support.h"
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
  if (!args.empty() && (args.size() != 2 || args[0] != "--id")) return usageError("keys token", unexpected(args[0]), kUsage);
  if (args.size() == 2) {
    const char* text = args[1].c_str();
    char* end = nullptr;
    const long parsed = std::strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || parsed < 0 || parsed > 255)
      return usageError("keys token", fmt::format("--id '{}' is not 0..255", args[1]), kUsage);
    id = static_cast<int>(parsed);
  }
  fmt::print("{}\n", KeyRing::generateLine(static_cast<std::uint8_t>(id)));
  return 0;
}

// Parses "--name value" pairs of the known flags; the first argument that is not one, or "".
std::string parseFlags(const Args& args, std::map<std::string, std::string>& flags) {
  for (std::size_t i = 0; i < args.size(); i += 2) {
    const std::string name = args[i].rfind("--", 0) == 0 ? args[i].substr(2) : "";
    const bool known = name == "domain" || name == "selector" || name == "algorithm" || name == "bits" || name == "dir";
    if (!known || i + 1 >= args.size()) return args[i];
    flags[name] = args[i + 1];
  }
  return "";
}

// Returns the mode the key was left with (0 when it could not be written).
mode_t writePrivateFile(const std::string& path, const std::string& content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return 0;
  const bool ok = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  // Only waybill-milter signs: the key stays its creator's (root), readable by the milter's group.
  mode_t mode = 0600;
  if (const group* milter = ::getgrnam("waybill_milter"))
    if (::fchown(fd, static_cast<uid_t>(-1), milter->gr_gid) == 0 && ::fchmod(fd, 0640) == 0) mode = 0640;
  return ::close(fd) == 0 && ok ? mode : 0;
}

int generateDkimKey(const Args& args) {
  std::map<std::string, std::string> flags{{"bits", "2048"}, {"dir", "/etc/waybill/dkim"}};
  if (auto bad = parseFlags(args, flags); !bad.empty()) return usageError("keys generate", unexpected(bad), kUsage);
  if (!flags.count("domain") || !flags.count("selector") || !flags.count("algorithm"))
    return usageError("keys generate", "--domain, --selector and --algorithm are required", kUsage);
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
  const mode_t mode = writePrivateFile(path, key->private_pem);
  if (mode == 0) {
    fmt::print(stderr, "waybill keys generate: cannot create '{}': {}\n", path, std::strerror(errno));
    return 73;  // EX_CANTCREAT
  }
  const std::string name = fmt::format("{}-{}", selector, domain);
  fmt::print("wrote {} (mode {:04o}{})\n\n", path, mode, mode == 0640 ? ", group waybill_milter" : "");
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
  return usageError("keys", args.empty() ? "give token or generate" : unexpected(args[0]), kUsage);
}

const char* keysUsage() { return kUsage; }

}  // namespace waybill::cli
