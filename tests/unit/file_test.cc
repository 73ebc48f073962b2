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

// check_output_path: what AtomicFile::open refuses, before any work, and nothing created (issue #16).
TEST(AtomicWrite, OutputPathsAreCheckedBeforeTheWork) {
  std::string dir = test::temp_dir("file_check_output");
  ASSERT_EQ(::mkfifo((dir + "/fifo").c_str(), 0644), 0);
  fs::create_directories(dir + "/folder");
  fs::create_symlink(dir + "/fifo", dir + "/link_to_fifo");
  for (const char* bad : {"/fifo", "/folder", "/link_to_fifo"}) {
    Status st = check_output_path(dir + bad);
    ASSERT_FALSE(st.is_ok()) << bad;
    EXPECT_EQ(st.message(), dir + bad + ": exists and is not a regular file (a folder, device or FIFO); refusing to "
                                        "replace it");
  }
  Status st = check_output_path(dir + "/nowhere/out.json");
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("folder '" + dir + "/nowhere' does not exist"), std::string::npos) << st.message();
  EXPECT_TRUE(check_output_path("").is_ok());
  EXPECT_TRUE(check_output_path(dir + "/new.json").is_ok());
  std::ofstream(dir + "/old.json") << "x";
  EXPECT_TRUE(check_output_path(dir + "/old.json").is_ok());
  EXPECT_FALSE(fs::exists(dir + "/new.json"));  // nothing created
}

}  // namespace
}  // namespace inr
