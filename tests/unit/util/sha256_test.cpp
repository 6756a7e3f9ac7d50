#include "util/sha256.h"

#include <gtest/gtest.h>

namespace waybill {
namespace {

TEST(Sha256, MatchesKnownDigests) {
  EXPECT_EQ(toHex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(toHex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, PiecesHashAsTheirConcatenation) {
  Sha256 hash;
  hash.update("a").update("").update("bc");
  EXPECT_EQ(hash.finish(), sha256("abc"));
  EXPECT_EQ(Sha256().update(std::string_view("x\0y", 3)).finish(), sha256(std::string_view("x\0y", 3)));
}

}  // namespace
}  // namespace waybill
