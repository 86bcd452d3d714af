#include "common/hash.h"

#include <gtest/gtest.h>

namespace tandem {
namespace {

TEST(HashTest, Sha256OfKnownInputs) {
  EXPECT_EQ(ToHex(Sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(ToHex(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(HashTest, IncrementalMatchesOneShot) {
  Sha256Hasher h;
  h.Update("a");
  h.Update("bc");
  EXPECT_EQ(h.Finish(), Sha256("abc"));
}

TEST(HashTest, HexRoundTripAndRejects) {
  Hash h = Sha256("x");
  EXPECT_EQ(HashFromHex(ToHex(h)), h);
  EXPECT_FALSE(HashFromHex("abc"));
  EXPECT_FALSE(HashFromHex(std::string(64, 'g')));
}

}  // namespace
}  // namespace tandem
