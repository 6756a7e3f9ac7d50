#include "store/migrator.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace waybill {
namespace {

class MigrationDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("waybill-migrations-" + std::to_string(getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }
  std::filesystem::path dir_;
};

TEST_F(MigrationDir, LoadsInOrderAndIgnoresOtherFiles) {
  write("0002_second.sql", "SELECT 2;");
  write("0001_first.sql", "SELECT 1;");
  write("README.md", "not a migration");
  auto migrations = loadMigrations(dir_.string());
  ASSERT_TRUE(migrations.ok()) << migrations.error();
  ASSERT_EQ(migrations->size(), 2u);
  EXPECT_EQ((*migrations)[0].version, 1);
  EXPECT_EQ((*migrations)[1].name, "0002_second.sql");
  EXPECT_EQ((*migrations)[1].sql, "SELECT 2;");
}

TEST_F(MigrationDir, RejectsSharedNumbers) {
  write("0001_first.sql", "SELECT 1;");
  write("0003_third.sql", "SELECT 3;");
  write("0003_other.sql", "SELECT 3;");
  auto migrations = loadMigrations(dir_.string());
  ASSERT_FALSE(migrations.ok());
  EXPECT_NE(migrations.error().find("share a number"), std::string::npos);
}

TEST(Migrations, ProjectMigrationsAreWellFormed) {
  const char* source = std::getenv("WAYBILL_SOURCE_DIR");
  ASSERT_NE(source, nullptr);
  auto migrations = loadMigrations(std::string(source) + "/sql/migrations");
  ASSERT_TRUE(migrations.ok()) << migrations.error();
  EXPECT_GE(migrations->size(), 1u);
}

}  // namespace
}  // namespace waybill
