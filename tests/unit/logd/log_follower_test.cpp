// LogFollower on real files in a temp directory: partial lines, rotation (rename + new file),
// truncation, and resuming at a stored position, also in a rotated predecessor.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "log_follower.h"

namespace waybill::logd {
namespace {

namespace fs = std::filesystem;

class LogFollowerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char name[] = "/tmp/waybill-logd-test-XXXXXX";
    ASSERT_NE(mkdtemp(name), nullptr);
    dir_ = name;
    log_ = dir_ / "mail.log";
  }
  void TearDown() override { fs::remove_all(dir_); }

  void append(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::app | std::ios::binary);
    out << text;
  }
  static std::vector<std::string> drain(LogFollower& follower) {
    std::vector<std::string> lines;
    while (auto line = follower.nextLine()) lines.emplace_back(line->text);
    return lines;
  }

  fs::path dir_;
  fs::path log_;
};

TEST_F(LogFollowerTest, HandsOutCompleteLinesOnlyAndCountsBytes) {
  append(log_, "one\ntwo\npart");
  LogFollower follower(log_);
  ASSERT_TRUE(follower.resume(std::nullopt));
  EXPECT_EQ(drain(follower), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(follower.position().offset, 8u);
  EXPECT_FALSE(follower.switchIfRotated());
  append(log_, "ial\n");
  EXPECT_EQ(drain(follower), (std::vector<std::string>{"partial"}));
  EXPECT_EQ(follower.position().offset, 16u);
  EXPECT_EQ(follower.unreadBytes(), 0u);
}

TEST_F(LogFollowerTest, FinishesTheRotatedFileThenReadsTheNewOne) {
  append(log_, "a\n");
  LogFollower follower(log_, std::chrono::milliseconds(0));
  ASSERT_TRUE(follower.resume(std::nullopt));
  EXPECT_EQ(drain(follower), (std::vector<std::string>{"a"}));
  const FileIdentity old_file = follower.position().file;
  append(log_, "b\n");  // written before the rename, not read yet
  fs::rename(log_, dir_ / "mail.log.1");
  append(log_, "c\n");
  EXPECT_EQ(drain(follower), (std::vector<std::string>{"b"}));
  EXPECT_TRUE(follower.switchIfRotated());
  EXPECT_FALSE(follower.position().file == old_file);
  EXPECT_EQ(follower.position().offset, 0u);
  EXPECT_EQ(drain(follower), (std::vector<std::string>{"c"}));
}

// The writer keeps the renamed file open for a moment (an old postlogd finishing its queue):
// lines it writes there after the new file appeared are read too, before the new file's.
TEST_F(LogFollowerTest, ReadsLateLinesOfTheRotatedFileWithinTheGrace) {
  append(log_, "a\n");
  LogFollower follower(log_, std::chrono::milliseconds(300));
  ASSERT_TRUE(follower.resume(std::nullopt));
  EXPECT_EQ(drain(follower), (std::vector<std::string>{"a"}));
  const fs::path rotated = dir_ / "mail.log.1";
  fs::rename(log_, rotated);
  append(log_, "new\n");
  EXPECT_FALSE(follower.switchIfRotated());  // the old file just went quiet: wait
  append(rotated, "late\n");
  EXPECT_TRUE(follower.switchIfRotated());   // it grew: read on in it
  EXPECT_EQ(drain(follower), (std::vector<std::string>{"late"}));
  EXPECT_FALSE(follower.switchIfRotated());  // quiet again: the grace starts over
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_TRUE(follower.switchIfRotated());
  EXPECT_EQ(drain(follower), (std::vector<std::string>{"new"}));
}

TEST_F(LogFollowerTest, StartsOverAfterTruncation) {
  append(log_, "first line\nsecond line\n");
  LogFollower follower(log_);
  ASSERT_TRUE(follower.resume(std::nullopt));
  drain(follower);
  fs::resize_file(log_, 0);
  append(log_, "new\n");
  EXPECT_TRUE(follower.switchIfRotated());
  EXPECT_EQ(drain(follower), (std::vector<std::string>{"new"}));
}

TEST_F(LogFollowerTest, ResumesAtTheStoredPositionAlsoInTheRotatedFile) {
  append(log_, "a\nb\n");
  LogPosition stored;
  {
    LogFollower follower(log_);
    ASSERT_TRUE(follower.resume(std::nullopt));
    ASSERT_TRUE(follower.nextLine());
    stored = follower.position();  // after "a"
  }
  {
    LogFollower follower(log_);
    ASSERT_TRUE(follower.resume(stored));
    EXPECT_EQ(drain(follower), (std::vector<std::string>{"b"}));
  }
  fs::rename(log_, dir_ / "mail.log.1");
  append(log_, "c\n");
  LogFollower follower(log_, std::chrono::milliseconds(0));
  auto note = follower.resume(stored);
  ASSERT_TRUE(note);
  EXPECT_EQ(*note, "");
  EXPECT_EQ(drain(follower), (std::vector<std::string>{"b"}));
  EXPECT_TRUE(follower.switchIfRotated());
  EXPECT_EQ(drain(follower), (std::vector<std::string>{"c"}));
}

TEST_F(LogFollowerTest, SaysSoWhenTheStoredFileIsGone) {
  append(log_, "a\n");
  LogPosition stored{{1, 1}, 2};  // no such file
  LogFollower follower(log_);
  auto note = follower.resume(stored);
  ASSERT_TRUE(note);
  EXPECT_NE(note->find("not read"), std::string::npos);
  EXPECT_EQ(drain(follower), (std::vector<std::string>{"a"}));
}

TEST_F(LogFollowerTest, WaitsForAMissingFile) {
  LogFollower follower(log_);
  ASSERT_TRUE(follower.resume(std::nullopt));
  EXPECT_FALSE(follower.nextLine());
  EXPECT_FALSE(follower.switchIfRotated());
  append(log_, "late\n");
  EXPECT_TRUE(follower.switchIfRotated());
  EXPECT_EQ(drain(follower), (std::vector<std::string>{"late"}));
}

TEST_F(LogFollowerTest, CapsHugeLines) {
  append(log_, std::string(100000, 'x') + "\nnext\n");
  LogFollower follower(log_);
  ASSERT_TRUE(follower.resume(std::nullopt));
  auto first = follower.nextLine();
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->too_long);
  auto second = follower.nextLine();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->text, "next");
}

}  // namespace
}  // namespace waybill::logd
