#include "api/api_key.h"

#include <gtest/gtest.h>

#include <set>

namespace waybill::api {
namespace {

TEST(ApiKey, IsPrefixedRandomAndStoredAsItsDigest) {
  std::set<std::string> secrets;
  for (int i = 0; i < 50; ++i) {
    const GeneratedApiKey key = generateApiKey();
    EXPECT_TRUE(looksLikeApiKey(key.secret)) << key.secret;
    EXPECT_EQ(key.digest, apiKeyDigest(key.secret));
    EXPECT_EQ(key.digest.size(), 64u);
    EXPECT_EQ(key.digest.find(key.secret.substr(4, 8)), std::string::npos);
    EXPECT_EQ(key.shown, key.secret.substr(0, 12));
    secrets.insert(key.secret);
  }
  EXPECT_EQ(secrets.size(), 50u);
  // Known answer: SHA-256 of the whole key, hex.
  EXPECT_EQ(apiKeyDigest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ApiKey, ShapeIsCheckedBeforeAnyLookup) {
  const std::string good = "wbk_" + std::string(43, 'A');
  EXPECT_TRUE(looksLikeApiKey(good));
  EXPECT_FALSE(looksLikeApiKey(good.substr(0, 46)));
  EXPECT_FALSE(looksLikeApiKey(good + "A"));
  EXPECT_FALSE(looksLikeApiKey("wbx_" + std::string(43, 'A')));
  EXPECT_FALSE(looksLikeApiKey("wbk_" + std::string(42, 'A') + "="));
  EXPECT_FALSE(looksLikeApiKey("wbk_" + std::string(42, 'A') + " "));
  EXPECT_FALSE(looksLikeApiKey(""));
}

TEST(ApiKey, SenderDomainsAreLowerCaseALabels) {
  EXPECT_EQ(senderDomain("Shop.Example").value(), "shop.example");
  EXPECT_EQ(senderDomain("bücher.example").value(), "xn--bcher-kva.example");
  EXPECT_FALSE(senderDomain("no spaces.example"));
  EXPECT_FALSE(senderDomain(""));
  EXPECT_FALSE(senderDomain("-bad.example"));
}

TEST(ApiKey, SendsOnlyFromItsOwnDomains) {
  const std::vector<std::string> domains = {"shop.example", "xn--bcher-kva.example"};
  EXPECT_TRUE(senderDomainAllowed(domains, "billing@shop.example"));
  EXPECT_TRUE(senderDomainAllowed(domains, "Billing@SHOP.example"));
  EXPECT_TRUE(senderDomainAllowed(domains, "<info@bücher.example>"));
  EXPECT_TRUE(senderDomainAllowed(domains, "info@xn--bcher-kva.example"));
  EXPECT_FALSE(senderDomainAllowed(domains, "billing@mail.shop.example"));  // exact, no subdomains
  EXPECT_FALSE(senderDomainAllowed(domains, "billing@shop.example.evil"));
  EXPECT_FALSE(senderDomainAllowed(domains, "billing@evilshop.example"));
  EXPECT_FALSE(senderDomainAllowed(domains, "not an address"));
  EXPECT_FALSE(senderDomainAllowed(domains, "a@b@shop.example"));
  EXPECT_FALSE(senderDomainAllowed({}, "billing@shop.example"));
}

}  // namespace
}  // namespace waybill::api
