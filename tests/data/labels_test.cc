// The ImageNet classes compiled into inr (src/data/imagenet_classes.def) against the staged label files they
// were generated from, and the class-count rules of labels_for_classes.
#include <gtest/gtest.h>

#include <fstream>

#include "data/labels.h"
#include "test_util.h"

namespace inr::data {
namespace {

TEST(ImagenetClasses, MatchDataDirectory) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  auto synsets = load_labels(test::data_dir() + "/labels/synset_words.txt");
  auto names = load_labels(test::data_dir() + "/labels/imagenet_classes.txt");
  ASSERT_TRUE(synsets.is_ok()) << synsets.status().message();
  ASSERT_TRUE(names.is_ok()) << names.status().message();
  EXPECT_EQ(imagenet_synset_labels().wnids, synsets->wnids);
  EXPECT_EQ(imagenet_synset_labels().names, synsets->names);
  EXPECT_EQ(imagenet_labels().wnids, synsets->wnids);
  EXPECT_EQ(imagenet_labels().names, names->names);
  EXPECT_EQ(imagenet_labels().name(258), "Samoyed");
}

TEST(ImagenetClasses, LabelsForClassCounts) {
  auto k1000 = labels_for_classes("", 1000);
  ASSERT_TRUE(k1000.is_ok());
  EXPECT_EQ(k1000->name(0), "tench");
  auto k1001 = labels_for_classes("", 1001);  // TensorFlow's "background" first
  ASSERT_TRUE(k1001.is_ok());
  EXPECT_EQ(k1001->name(0), "background");
  EXPECT_EQ(k1001->name(1), "tench");
  auto k10 = labels_for_classes("", 10);
  ASSERT_TRUE(k10.is_ok());
  EXPECT_EQ(k10->name(3), "class 3");
  std::string file = test::temp_dir("labels_count") + "/two.txt";
  std::ofstream(file) << "a\nb\n";
  auto two = labels_for_classes(file, 1000);
  ASSERT_FALSE(two.is_ok());
  EXPECT_NE(two.status().message().find("2 class names, but the model has 1000 classes"), std::string::npos);
  EXPECT_TRUE(labels_for_classes(file, 2).is_ok());
}

}  // namespace
}  // namespace inr::data
