// mail/message_metadata: what the submitter writes into X-Waybill-Metadata and what the milter
// accepts from any submitter (an SMTP client may write the header by hand).
#include "mail/message_metadata.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "mime/transfer_encoding.h"

namespace waybill::mail {
namespace {

std::string base64(std::string_view json) { return mime::encodeFoldableBase64(json); }

TEST(MessageMetadata, RoundTripsThroughTheHeader) {
  const Metadata metadata = {{"order", "A-1"}, {"customer", "caf\xc3\xa9"}, {"empty", ""}};
  const std::string header = encodeMetadataHeader(metadata);
  EXPECT_EQ(header.find_first_of("\r\n"), std::string::npos);
  auto parsed = parseMetadataHeader(header);
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(*parsed, metadata);
  EXPECT_EQ(metadataJson(metadata), R"({"customer":"café","empty":"","order":"A-1"})");
}

TEST(MessageMetadata, LongValuesFoldIntoPiecesOfAtMost76) {
  const std::string header = encodeMetadataHeader({{"k", std::string(1500, 'v')}});
  std::size_t piece = 0, longest = 0;
  for (char c : header) {
    piece = c == ' ' ? 0 : piece + 1;
    longest = std::max(longest, piece);
  }
  EXPECT_EQ(longest, 76u);
  EXPECT_TRUE(parseMetadataHeader(header));
}

TEST(MessageMetadata, RefusesWhatIsNotAnObjectOfStrings) {
  for (const std::string json : {"", "[1]", "\"x\"", "{\"n\": 1}", "{\"o\": {\"a\": \"b\"}}", "{\"a\": null}", "{bad"}) {
    auto parsed = parseMetadataHeader(base64(json));
    EXPECT_FALSE(parsed) << json;
    if (!parsed) {
      EXPECT_NE(parsed.error().find("X-Waybill-Metadata"), std::string::npos) << json;
    }
  }
  EXPECT_FALSE(parseMetadataHeader("not base64 at all !!!"));
  EXPECT_FALSE(parseMetadataHeader(base64("{\"a\": \"\xff\"}")));  // not UTF-8: JSON refuses it
}

TEST(MessageMetadata, BoundsEntriesKeysAndValues) {
  Metadata many;
  for (std::size_t i = 0; i <= kMaxMetadataEntries; ++i) many["k" + std::to_string(i)] = "v";
  EXPECT_NE(metadataProblem(many), std::nullopt);
  EXPECT_FALSE(parseMetadataHeader(encodeMetadataHeader(many)));
  EXPECT_NE(metadataProblem({{std::string(kMaxMetadataKeyBytes + 1, 'k'), "v"}}), std::nullopt);
  EXPECT_EQ(metadataProblem({{std::string(kMaxMetadataKeyBytes, 'k'), std::string(kMaxMetadataValueBytes, 'v')}}),
            std::nullopt);
  EXPECT_NE(metadataProblem({{"k", std::string(kMaxMetadataValueBytes + 1, 'v')}}), std::nullopt);
  EXPECT_NE(metadataProblem({{"", "v"}}), std::nullopt);
  EXPECT_NE(metadataProblem({{"line\nbreak", "v"}}), std::nullopt);
  EXPECT_NE(metadataProblem({{"k", "\xc3"}}), std::nullopt);
  EXPECT_FALSE(parseMetadataHeader(std::string(kMaxMetadataHeaderBytes + 1, 'A')));
}

}  // namespace
}  // namespace waybill::mail
