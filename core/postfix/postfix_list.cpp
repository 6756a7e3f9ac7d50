#include "postfix/postfix_list.h"

#include <cctype>

namespace waybill::postfix {
namespace {

bool isSeparator(char c) { return c == ',' || std::isspace(static_cast<unsigned char>(c)); }

// Bare words split at depth 0; braces nest.
std::vector<std::string> splitWords(std::string_view value) {
  std::vector<std::string> words;
  std::string word;
  int depth = 0;
  for (char c : value) {
    if (depth == 0 && isSeparator(c)) {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
      continue;
    }
    if (c == '{') ++depth;
    if (c == '}' && depth > 0) --depth;
    word += c;
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

// Restrictions whose next word is their argument (see postconf(5), smtpd_*_restrictions).
bool takesArgument(std::string_view word) {
  return word.starts_with("check_") || word.find("rbl_client") != std::string_view::npos ||
         word.find("rhsbl_") != std::string_view::npos || word.find("dnswl_client") != std::string_view::npos ||
         word.find("rhswl_client") != std::string_view::npos;
}

}  // namespace

std::vector<std::string> splitPostfixList(std::string_view value) {
  const auto words = splitWords(value);
  std::vector<std::string> items;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (takesArgument(words[i]) && i + 1 < words.size() && !takesArgument(words[i + 1])) {
      items.push_back(words[i] + " " + words[i + 1]);
      ++i;
    } else {
      items.push_back(words[i]);
    }
  }
  return items;
}

std::string joinPostfixList(const std::vector<std::string>& items) {
  std::string joined;
  for (const auto& item : items) joined += (joined.empty() ? "" : ", ") + item;
  return joined;
}

std::string firstWord(std::string_view item) {
  if (item.starts_with("{")) item.remove_prefix(1);
  const auto words = splitWords(item);
  if (words.empty()) return "";
  std::string word = words.front();
  if (word.ends_with("}")) word.pop_back();
  return word;
}

}  // namespace waybill::postfix
