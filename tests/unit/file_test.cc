// core/file.h: outputs never destroy what is at their path, inputs are only regular files.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/file.h"
#include "test_util.h"

namespace inr {
namespace {

namespace fs = std::filesystem;

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

TEST(AtomicWrite, SymlinkIsWrittenThrough) {
  std::string dir = test::temp_dir("file_symlink");
  std::ofstream(dir + "/target.txt") << "old";
  fs::create_symlink(dir + "/target.txt", dir + "/link.txt");
  ASSERT_TRUE(write_file_atomic(dir + "/link.txt", "new").is_ok());
  EXPECT_TRUE(fs::is_symlink(dir + "/link.txt"));  // the link is still a link...
  EXPECT_EQ(slurp(dir + "/target.txt"), "new");    // ...and its target has the new bytes
}

TEST(AtomicWrite, NonRegularDestinationsAreRefusedAndLeftAlone) {
  std::string dir = test::temp_dir("file_special");
  ASSERT_EQ(::mkfifo((dir + "/fifo").c_str(), 0644), 0);
  auto fifo = write_file_atomic(dir + "/fifo", "x");
  ASSERT_FALSE(fifo.is_ok());
  EXPECT_NE(fifo.message().find("not a regular file"), std::string::npos) << fifo.message();
  EXPECT_TRUE(fs::is_fifo(dir + "/fifo"));
  fs::create_directory(dir + "/folder");
  EXPECT_FALSE(write_file_atomic(dir + "/folder", "x").is_ok());
  EXPECT_TRUE(fs::is_directory(dir + "/folder"));
  // A symlink to a device (as `-t /dev/null` would be for root): refused, the device untouched.
  fs::create_symlink("/dev/null", dir + "/null_link");
  EXPECT_FALSE(write_file_atomic(dir + "/null_link", "x").is_ok());
  EXPECT_TRUE(fs::is_character_file("/dev/null"));
  // No temp files left behind.
  for (const auto& e : fs::directory_iterator(dir))
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
}

TEST(ReadFile, FifoIsRefusedInsteadOfBlocking) {
  std::string dir = test::temp_dir("file_fifo_read");
  ASSERT_EQ(::mkfifo((dir + "/model.onnx").c_str(), 0644), 0);
  auto r = read_file(dir + "/model.onnx");  // would block forever in open() without the check
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("not a regular file"), std::string::npos);
}

}  // namespace
}  // namespace inr
