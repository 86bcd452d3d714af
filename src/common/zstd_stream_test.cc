#include "common/zstd_stream.h"

#include <gtest/gtest.h>

namespace tandem {
namespace {

std::string Compress(const std::string& text) {
  std::string out;
  ZstdCompressor c([&](std::string_view b) { out.append(b); return true; });
  for (size_t i = 0; i < text.size(); i += 1000) EXPECT_TRUE(c.Write(text.substr(i, 1000)).ok());
  EXPECT_TRUE(c.Finish().ok());
  return out;
}

TEST(ZstdStreamTest, RoundTripsInPieces) {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "{\"line\":" + std::to_string(i) + "}\n";
  std::string packed = Compress(text);
  EXPECT_LT(packed.size(), text.size() / 4);
  std::string back;
  ZstdDecompressor d([&](std::string_view b) { back.append(b); return true; }, 1 << 30);
  for (size_t i = 0; i < packed.size(); i += 7) ASSERT_TRUE(d.Write(packed.substr(i, 7)).ok());
  EXPECT_TRUE(d.complete());
  EXPECT_EQ(back, text);
}

TEST(ZstdStreamTest, TruncatedStreamIsIncompleteAndGarbageIsCorruption) {
  std::string packed = Compress(std::string(100000, 'x') + "end");
  ZstdDecompressor d([](std::string_view) { return true; }, 1 << 30);
  ASSERT_TRUE(d.Write(packed.substr(0, packed.size() - 3)).ok());
  EXPECT_FALSE(d.complete());
  ZstdDecompressor g([](std::string_view) { return true; }, 1 << 30);
  EXPECT_EQ(g.Write("definitely not zstd").code(), StatusCode::kCorruption);
}

TEST(ZstdStreamTest, OutputLimitStopsABomb) {
  std::string packed = Compress(std::string(10 << 20, '\0'));
  ZstdDecompressor d([](std::string_view) { return true; }, 1 << 20);
  EXPECT_EQ(d.Write(packed).code(), StatusCode::kTooLarge);
}

}  // namespace
}  // namespace tandem
