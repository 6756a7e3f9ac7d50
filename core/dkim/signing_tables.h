// KeyTable and SigningTable in OpenDKIM's own formats, so an operator's files work unchanged:
//   KeyTable:      NAME  DOMAIN:SELECTOR:/path/to/private.key
//   SigningTable:  PATTERN  NAME      (PATTERN as OpenDKIM's refile: '*' matches any run of
//                                      characters, matched against the whole From address)
// Every SigningTable line that matches yields a signature, in file order, so a sender can have
// both an rsa and an ed25519 signature (OpenDKIM's MultipleSignatures).
#pragma once

#include <string>
#include <vector>

#include "util/result.h"

namespace waybill::dkim {

struct KeyEntry {
  std::string name;
  std::string domain;
  std::string selector;
  std::string key_path;
};

class KeyTable {
 public:
  static Result<KeyTable> parse(const std::string& text);
  static Result<KeyTable> load(const std::string& path);
  const KeyEntry* find(const std::string& name) const;
  const std::vector<KeyEntry>& entries() const { return entries_; }

 private:
  std::vector<KeyEntry> entries_;
};

class SigningTable {
 public:
  static Result<SigningTable> parse(const std::string& text);
  static Result<SigningTable> load(const std::string& path);
  // Key names for an address (case-insensitive), in file order, without repeats.
  std::vector<std::string> namesFor(const std::string& address) const;

 private:
  struct Rule {
    std::string pattern;  // lower-cased
    std::string name;
  };
  std::vector<Rule> rules_;
};

// OpenDKIM refile: matching ('*' = any run of characters), case-insensitive.
bool wildcardMatch(std::string_view pattern, std::string_view text);

}  // namespace waybill::dkim
