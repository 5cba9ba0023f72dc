#include <gtest/gtest.h>

#include <string>

#include "etkit/result.h"

using etkit::printable;

TEST(Printable, KeepsPrintableUtf8) {
  EXPECT_EQ(printable("aten::addmm.out"), "aten::addmm.out");
  EXPECT_EQ(printable("gewicht_\xc3\xa4\xe2\x82\xac"), "gewicht_\xc3\xa4\xe2\x82\xac");  // ä, €
  EXPECT_EQ(printable("\xf0\x9f\x99\x82"), "\xf0\x9f\x99\x82");                         // a four-byte emoji
}

TEST(Printable, EscapesControlCharacters) {
  EXPECT_EQ(printable("a\x1b[2Jb"), "a\\x1b[2Jb");
  EXPECT_EQ(printable("line\nnext\t\x7f"), "line\\x0anext\\x09\\x7f");
  EXPECT_EQ(printable(std::string("nul\0x", 5)), "nul\\x00x");
  EXPECT_EQ(printable("c1 \xc2\x9b"), "c1 \\xc2\\x9b");          // U+009B, the one-byte CSI
  EXPECT_EQ(printable("rtl \xe2\x80\xae"), "rtl \\xe2\\x80\\xae");  // U+202E, right-to-left override
}

TEST(Printable, EscapesInvalidUtf8ByteByByte) {
  EXPECT_EQ(printable("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(printable("cut \xe2\x82"), "cut \\xe2\\x82");        // a sequence cut short
  EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");                // overlong '/'
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");        // a surrogate
  EXPECT_EQ(printable("\xe2\x82x"), "\\xe2\\x82x");              // resynchronises on the next byte
}

TEST(Printable, EveryErrorMessageIsPrintable) {
  const auto e = etkit::make_error(etkit::ErrorCode::kInvalidProgram, "method 'f\x1b]0;x\x07' is bad");
  EXPECT_EQ(e.message, "method 'f\\x1b]0;x\\x07' is bad");
}
