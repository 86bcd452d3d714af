#include "common/ids.h"

#include <gtest/gtest.h>

#include <set>

namespace tandem {
namespace {

TEST(IdsTest, NewUuidsAreValidVersion4AndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewUuid();
    ASSERT_TRUE(IsUuid(id)) << id;
    EXPECT_EQ(id[14], '4');
    EXPECT_TRUE(seen.insert(id).second);
  }
}

TEST(IdsTest, DerivedUuidsAreStableVersion8) {
  EXPECT_EQ(DerivedUuid("a/b"), DerivedUuid("a/b"));
  EXPECT_NE(DerivedUuid("a/b"), DerivedUuid("a/c"));
  EXPECT_EQ(DerivedUuid("a/b")[14], '8');
  EXPECT_TRUE(IsUuid(DerivedUuid("x")));
}

TEST(IdsTest, ValidatesAndNormalizes) {
  EXPECT_TRUE(IsUuid("C98B83B4-9911-436C-AE0C-AF6B95B81EA2"));
  EXPECT_FALSE(IsUuid("c98b83b4-9911-436c-ae0c-af6b95b81ea"));
  EXPECT_FALSE(IsUuid("c98b83b4_9911-436c-ae0c-af6b95b81ea2"));
  EXPECT_FALSE(IsUuid("../../etc/passwd"));
  EXPECT_EQ(NormalizeUuid("C98B83B4-9911-436C-AE0C-AF6B95B81EA2"),
            "c98b83b4-9911-436c-ae0c-af6b95b81ea2");
}

}  // namespace
}  // namespace tandem
