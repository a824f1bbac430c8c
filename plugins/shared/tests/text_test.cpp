// A person's text: trimmed of Unicode whitespace, refused when blank or holding controls.
#include "text.hpp"

#include <gtest/gtest.h>

namespace {

namespace text = berth::shop::text;

int refused(const std::string& value) {
    try {
        text::clean(value, "/name");
        return 0;
    } catch (const berth::http_error& e) {
        EXPECT_EQ(e.extra()["errors"][0]["pointer"], "/name");
        return e.status();
    }
}

TEST(ShopText, TrimsAsciiAndUnicodeSpacesAtBothEnds) {
    EXPECT_EQ(text::trimmed("  Lamps\t"), "Lamps");
    EXPECT_EQ(text::trimmed("\u00a0\u3000Desk lamps\u2003\u200b"), "Desk lamps");
    EXPECT_EQ(text::trimmed("a\u00a0b"), "a\u00a0b") << "inner spaces stay";
    EXPECT_EQ(text::trimmed("Caf\u00e9"), "Caf\u00e9") << "a last multi-byte letter is not cut";
}

TEST(ShopText, ABlankNameIsRefusedWhateverItsSpaces) {
    EXPECT_EQ(refused(""), 400);
    EXPECT_EQ(refused("   "), 400);
    EXPECT_EQ(refused("\u00a0\u2003"), 400);
    EXPECT_EQ(refused("\u3000\u3000"), 400);
    EXPECT_EQ(refused("\u200b\u00a0"), 400);
    EXPECT_TRUE(text::blank("\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000"));
}

TEST(ShopText, ControlCharactersAreRefusedAnywhere) {
    EXPECT_EQ(refused("red\x1b[31m"), 400);
    EXPECT_EQ(refused(std::string("a\0b", 3)), 400);
    EXPECT_EQ(refused("a\nb"), 400);
    EXPECT_EQ(refused("a\u0085b"), 400) << "C1 next line";
    EXPECT_EQ(refused("a\x7f"), 400);
}

TEST(ShopText, ANameOfOnlyInvisibleCharactersIsBlank) {
    for (const char* name : {"\u2060", "\u200c\u200d", "\u3164", "\u2800", "\u00ad", "\u200e\u2063"})
        EXPECT_EQ(refused(name), 400) << name;
    EXPECT_EQ(refused("\U0001F469\u200d\U0001F52C"), 0) << "a joiner inside an emoji sequence is fine";
}

TEST(ShopText, BidirectionalOverridesAndLineSeparatorsAreRefused) {
    EXPECT_EQ(refused("Eve\u202egnp.exe"), 400);
    EXPECT_EQ(refused("a\u2066b\u2069"), 400);
    EXPECT_EQ(refused("a\u2028b"), 400);
}

TEST(ShopText, CleanReturnsTheTrimmedText) {
    EXPECT_EQ(text::clean("  Brass lamp \u00a0", "/name"), "Brass lamp");
    EXPECT_EQ(text::clean("\tBob\r\n", "/name"), "Bob") << "whitespace controls at the ends are trimmed, not refused";
    EXPECT_EQ(refused("\u00c9t\u00e9 \U0001F600"), 0);
}

}  // namespace
