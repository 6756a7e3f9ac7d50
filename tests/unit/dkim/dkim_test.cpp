#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <malloc.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "dkim/key_generator.h"
#include "dkim/message_signer.h"
#include "dkim/signing_tables.h"

#define _Bool bool
#include <opendkim/dkim.h>
#undef _Bool

namespace waybill::dkim {
namespace {

TEST(Wildcard, MatchesLikeOpenDkimRefile) {
  EXPECT_TRUE(wildcardMatch("*@example.com", "news@Example.COM"));
  EXPECT_TRUE(wildcardMatch("*@*.example.com", "a@mail.example.com"));
  EXPECT_FALSE(wildcardMatch("*@example.com", "a@notexample.org"));
  EXPECT_FALSE(wildcardMatch("*@example.com", "a@example.com.evil"));
  EXPECT_TRUE(wildcardMatch("*", "anything"));
  EXPECT_TRUE(wildcardMatch("exact@x.org", "EXACT@x.org"));
  EXPECT_TRUE(wildcardMatch("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(wildcardMatch("a*b*c", "aXXbYY"));
}

TEST(Tables, ParseOpenDkimFiles) {
  auto keys = KeyTable::parse(
      "# comment\n"
      "rsa-example   example.com:sel2024:/etc/keys/example.rsa.key\n"
      "ed-example\tEXAMPLE.com:ed2024:/etc/keys/example.ed.key  # trailing comment\n");
  ASSERT_TRUE(keys.ok()) << keys.error();
  ASSERT_EQ(keys->entries().size(), 2u);
  EXPECT_EQ(keys->find("ed-example")->domain, "example.com");
  EXPECT_EQ(keys->find("ed-example")->selector, "ed2024");
  EXPECT_EQ(keys->find("rsa-example")->key_path, "/etc/keys/example.rsa.key");

  auto rules = SigningTable::parse("*@example.com rsa-example\n*@example.com ed-example\n*@other.org other\n");
  ASSERT_TRUE(rules.ok());
  EXPECT_EQ(rules->namesFor("News@Example.com"), (std::vector<std::string>{"rsa-example", "ed-example"}));
  EXPECT_TRUE(rules->namesFor("x@unknown.net").empty());
}

TEST(Tables, RejectMalformedLines) {
  EXPECT_FALSE(KeyTable::parse("name example.com:sel\n").ok());
  EXPECT_FALSE(KeyTable::parse("name :sel:/k\n").ok());
  EXPECT_FALSE(KeyTable::parse("name example.com::/k\n").ok());
  EXPECT_FALSE(KeyTable::parse("a d:s:/k\na d:s:/k2\n").ok());
  EXPECT_FALSE(SigningTable::parse("*@example.com\n").ok());
  EXPECT_FALSE(KeyTable::load("/nonexistent/keytable").ok());
}

TEST(KeyGenerator, TxtRecordsSplitAt255) {
  const std::string value = txtRecordValue(KeyAlgorithm::Rsa, std::string(400, 'A'));
  EXPECT_EQ(value.substr(0, 24), "\"v=DKIM1; k=rsa; p=AAAAA");
  EXPECT_EQ(value.find("\" \""), 256u);
  EXPECT_EQ(txtRecordLine("s", "d.example", KeyAlgorithm::Ed25519, "QUJD"),
            "s._domainkey.d.example. IN TXT ( \"v=DKIM1; k=ed25519; p=QUJD\" )");
}

// A temp directory with generated rsa + ed25519 keys and OpenDKIM tables naming them.
class SigningFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("waybill-dkim-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    rsa_ = *generateKey(KeyAlgorithm::Rsa, 2048);
    ed_ = *generateKey(KeyAlgorithm::Ed25519);
    write("rsa.key", rsa_.private_pem);
    write("ed.key", ed_.private_pem);
    write("keytable", "rsa example.com:r1:" + (dir_ / "rsa.key").string() + "\ned example.com:e1:" +
                          (dir_ / "ed.key").string() + "\nmissing example.net:m1:" + (dir_ / "absent.key").string() + "\n");
    write("signingtable", "*@example.com rsa\n*@example.com ed\n*@example.net missing\n");
    // libopendkim's file query method: "NAME RECORD" lines stand in for DNS.
    write("dns", "r1._domainkey.example.com v=DKIM1; k=rsa; p=" + rsa_.public_base64 + "\ne1._domainkey.example.com v=DKIM1; k=ed25519; p=" +
                     ed_.public_base64 + "\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    std::filesystem::permissions(dir_ / name, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
  GeneratedKey rsa_, ed_;
};

const std::vector<std::pair<std::string, std::string>> kHeaders = {
    {"From", "News <news@example.com>"}, {"To", "ann@dest.example"}, {"Subject", "Hello\n\tfolded subject"},
    {"Date", "Sun, 22 Nov 2026 04:20:31 +0000"}, {"Message-ID", "<1@example.com>"}};
const std::string kBody = "Hello,\r\n\r\nthis is the body.\r\n";

// Verifies a signed message with libopendkim against the fixture's file "DNS"; returns passes.
int verifiedSignatures(const std::string& dns_file, const std::vector<std::string>& signatures, const std::string& body) {
  DKIM_LIB* lib = dkim_init(nullptr, nullptr);
  int method = DKIM_QUERY_FILE;
  dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYMETHOD, &method, sizeof method);
  dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYINFO, const_cast<char*>(dns_file.c_str()), dns_file.size());
  DKIM_STAT status;
  DKIM* dkim = dkim_verify(lib, reinterpret_cast<const unsigned char*>("t"), nullptr, &status);
  auto feed = [&](const std::string& field) {
    std::string copy = field;
    dkim_header(dkim, reinterpret_cast<u_char*>(copy.data()), copy.size());
  };
  for (const auto& s : signatures) feed("DKIM-Signature: " + s);
  for (const auto& [name, value] : kHeaders) feed(name + ": " + value);
  dkim_eoh(dkim);
  std::string copy = body;
  dkim_body(dkim, reinterpret_cast<u_char*>(copy.data()), copy.size());
  dkim_eom(dkim, nullptr);
  DKIM_SIGINFO** sigs = nullptr;
  int count = 0;
  int passed = 0;
  if (dkim_getsiglist(dkim, &sigs, &count) == DKIM_STAT_OK) {
    for (int i = 0; i < count; ++i) {
      dkim_sig_process(dkim, sigs[i]);
      if (DKIM_SIG_CHECK(sigs[i])) ++passed;
    }
  }
  dkim_free(dkim);
  dkim_close(lib);
  return passed;
}

std::vector<std::string> signWith(const MessageSigner& signer, const std::string& from, const std::string& body) {
  auto signing = signer.begin(from, "job");
  EXPECT_TRUE(signing.ok()) << signing.error();
  for (const auto& [name, value] : kHeaders) EXPECT_TRUE(signing->header(name, value).ok());
  EXPECT_TRUE(signing->endOfHeaders().ok());
  EXPECT_TRUE(signing->body(body.substr(0, 7)).ok());  // chunked, as the milter feeds it
  EXPECT_TRUE(signing->body(body.substr(7)).ok());
  auto values = signing->finish();
  EXPECT_TRUE(values.ok()) << values.error();
  return *values;
}

TEST_F(SigningFixture, DualSignsAndBothVerify) {
  auto signer = MessageSigner::load(path("keytable"), path("signingtable"), "");
  ASSERT_TRUE(signer.ok()) << signer.error();
  ASSERT_EQ((*signer)->keyProblems().size(), 1u);  // the missing key, reported at load
  EXPECT_NE((*signer)->keyProblems()[0].find("absent.key"), std::string::npos);

  const auto signatures = signWith(**signer, "news@example.com", kBody);
  ASSERT_EQ(signatures.size(), 2u);
  EXPECT_NE(signatures[0].find("a=rsa-sha256"), std::string::npos);
  EXPECT_NE(signatures[1].find("a=ed25519-sha256"), std::string::npos);
  EXPECT_NE(signatures[0].find("c=relaxed/relaxed"), std::string::npos);
  EXPECT_NE(signatures[0].find("d=example.com"), std::string::npos);
  EXPECT_EQ(verifiedSignatures(path("dns"), signatures, kBody), 2);
  EXPECT_EQ(verifiedSignatures(path("dns"), signatures, kBody + "tampered\r\n"), 0);
}

TEST_F(SigningFixture, FromIsOversigned) {
  auto signer = MessageSigner::load(path("keytable"), path("signingtable"), "");
  const auto signatures = signWith(**signer, "news@example.com", kBody);
  std::string unfolded;
  for (char c : signatures[0])
    if (c != '\r' && c != '\n' && c != '\t' && c != ' ') unfolded += c;
  const auto h = unfolded.substr(unfolded.find(";h=") + 3);
  std::string tags = h.substr(0, h.find(';'));
  std::transform(tags.begin(), tags.end(), tags.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::size_t froms = 0;
  for (std::size_t at = tags.find("from"); at != std::string::npos; at = tags.find("from", at + 1)) ++froms;
  EXPECT_EQ(froms, 2u) << tags;
}

// libopendkim 2.11 leaks each ed25519 signature's key and output buffer (about 1.3 KiB);
// opendkim_allocations reclaims them. Under ASan, LeakSanitizer checks every test instead.
TEST_F(SigningFixture, ThousandsOfEd25519SignaturesDoNotGrowTheHeap) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "ASan's allocator does not feed mallinfo2(); LeakSanitizer checks this build";
#endif
  auto signer = MessageSigner::load(path("keytable"), path("signingtable"), "");
  ASSERT_TRUE(signer.ok()) << signer.error();
  // Warm-up: OpenSSL's and the allocation registry's tables settle at about 160 KiB.
  for (int i = 0; i < 500; ++i) signWith(**signer, "news@example.com", kBody);
  const auto before = mallinfo2().uordblks;
  constexpr int kSignatures = 2000;  // the leak would be about 2.6 MB
  for (int i = 0; i < kSignatures; ++i) ASSERT_EQ(signWith(**signer, "news@example.com", kBody).size(), 2u);
  const auto grown = static_cast<long>(mallinfo2().uordblks) - static_cast<long>(before);
  EXPECT_LT(grown, 64 * 1024) << "heap grew " << grown << " bytes over " << kSignatures << " signatures";
}

TEST_F(SigningFixture, UnmatchedSenderUsesFallbackOrNothing) {
  auto none = MessageSigner::load(path("keytable"), path("signingtable"), "");
  auto signing = (*none)->begin("x@unrelated.org", "job");
  ASSERT_TRUE(signing.ok());
  EXPECT_TRUE(signing->empty());
  auto fallback = MessageSigner::load(path("keytable"), path("signingtable"), "rsa");
  EXPECT_EQ(signWith(**fallback, "x@unrelated.org", kBody).size(), 1u);
  EXPECT_FALSE(MessageSigner::load(path("keytable"), path("signingtable"), "nosuchkey").ok());
}

TEST_F(SigningFixture, UnreadableKeyFailsTheMessageNotTheLoad) {
  auto signer = MessageSigner::load(path("keytable"), path("signingtable"), "");
  auto signing = (*signer)->begin("a@example.net", "job");
  ASSERT_FALSE(signing.ok());
  EXPECT_NE(signing.error().find("absent.key"), std::string::npos);
}

EVP_PKEY* parsePem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return key;
}

// libopendkim parses the key text for every signature; loaded keys are parsed once and shared.
TEST_F(SigningFixture, LoadedKeysAreParsedOnceOtherPemTextAsUsual) {
  auto signer = MessageSigner::load(path("keytable"), path("signingtable"), "");
  ASSERT_TRUE(signer.ok());
  EVP_PKEY* first = parsePem(rsa_.private_pem);
  EVP_PKEY* second = parsePem(rsa_.private_pem);
  EXPECT_TRUE(first != nullptr && first == second);
  EVP_PKEY* other = parsePem(generateKey(KeyAlgorithm::Ed25519)->private_pem);  // never loaded
  EXPECT_TRUE(other != nullptr && other != first);
  EXPECT_EQ(parsePem("-----BEGIN PRIVATE KEY-----\nbm9wZQ==\n-----END PRIVATE KEY-----\n"), nullptr);
  for (EVP_PKEY* key : {first, second, other}) EVP_PKEY_free(key);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(signWith(**signer, "news@example.com", kBody).size(), 2u);  // refs balance
  EXPECT_EQ(verifiedSignatures(path("dns"), signWith(**signer, "news@example.com", kBody), kBody), 2);
}

TEST(LoadSigningKey, NamesTheKeyAndWhyItCannotBeRead) {
  const auto dir = std::filesystem::temp_directory_path() / ("waybill-dkim-load-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir / "adir.key");
  std::ofstream(dir / "empty.key").close();
  std::ofstream(dir / "junk.key") << "not a key\n";
  for (const char* file : {"empty.key", "junk.key"})
    std::filesystem::permissions(dir / file, std::filesystem::perms::owner_read);
  const auto error = [&](const char* file) {
    return loadSigningKey({"k", "example.com", "s1", (dir / file).string()}).error();
  };
  EXPECT_NE(error("adir.key").find("cannot read DKIM key '" + (dir / "adir.key").string() + "' for example.com: Is a directory"),
            std::string::npos);
  EXPECT_NE(error("empty.key").find("the file is empty"), std::string::npos);
  EXPECT_NE(error("gone.key").find("No such file or directory"), std::string::npos);
  EXPECT_NE(error("junk.key").find("is not a PEM private key"), std::string::npos);
  std::filesystem::remove_all(dir);
}

// As ssh does: a private key other users can read is refused, with one line saying what to do.
TEST_F(SigningFixture, RefusesAKeyOtherUsersCanRead) {
  const KeyEntry entry{"k", "example.com", "s1", path("rsa.key")};
  ASSERT_TRUE(loadSigningKey(entry).ok());
  namespace fs = std::filesystem;
  fs::permissions(path("rsa.key"), fs::perms::group_read, fs::perm_options::add);
  EXPECT_TRUE(loadSigningKey(entry).ok()) << "group read is the package's layout (root:waybill_milter 0640)";
  fs::permissions(path("rsa.key"), fs::perms::others_read, fs::perm_options::add);
  const auto refused = loadSigningKey(entry);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error(), "DKIM key '" + path("rsa.key") + "' for example.com is open to other users (mode 0644): "
                             "refused, as ssh refuses such a key; chmod o-rwx '" + path("rsa.key") + "'")
      << refused.error();
}

TEST_F(SigningFixture, GeneratedPublicKeyMatchesPrivate) {
  EXPECT_EQ(*publicKeyBase64(rsa_.private_pem), rsa_.public_base64);
  EXPECT_EQ(*publicKeyBase64(ed_.private_pem), ed_.public_base64);
  EXPECT_EQ(ed_.public_base64.size(), 44u);  // 32 raw bytes
  EXPECT_NE(rsa_.private_pem.find("BEGIN PRIVATE KEY"), std::string::npos);  // PKCS#8
}

}  // namespace
}  // namespace waybill::dkim
