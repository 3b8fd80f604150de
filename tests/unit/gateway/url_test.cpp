#include "url.h"

#include "http_error.h"

#include <gtest/gtest.h>

namespace pactown::gateway {
namespace {

TEST(PercentDecode, DecodesSaasUserIds)
{
    EXPECT_EQ(percentDecode("auth0%7C123456"), "auth0|123456");
    EXPECT_EQ(percentDecode("auth0|123456"), "auth0|123456");
    EXPECT_EQ(percentDecode("user%40example.com"), "user@example.com");
    EXPECT_EQ(percentDecode("user%3a1"), "user:1");
    EXPECT_EQ(percentDecode("a%2Fb"), "a/b");
    EXPECT_EQ(percentDecode("%2e%2E"), "..");
    EXPECT_EQ(percentDecode("caf%C3%A9"), "caf\xC3\xA9");
}

TEST(PercentDecode, KeepsPlusAndDecodesSpaceEscape)
{
    EXPECT_EQ(percentDecode("a+b"), "a+b");
    EXPECT_EQ(percentDecode("a%20b"), "a b");
}

TEST(PercentDecode, DecodesNulAndControlBytes)
{
    EXPECT_EQ(percentDecode("a%00b"), std::string("a\0b", 3));
    EXPECT_EQ(percentDecode("%01"), "\x01");
}

TEST(PercentDecode, RejectsIncompleteEscapes)
{
    for (const char* encoded : {"%", "%2", "a%", "%zz", "%2g", "%%41"})
        EXPECT_THROW(percentDecode(encoded), InvalidRequestError) << "input '" << encoded << "'";
}

TEST(ParseQuery, SplitsAndDecodesParameters)
{
    const auto parameters = parseQuery("delete_home=false&x=a%26b&flag&&y=");

    ASSERT_EQ(parameters.size(), 4U);
    EXPECT_EQ(parameters.at("delete_home"), "false");
    EXPECT_EQ(parameters.at("x"), "a&b");
    EXPECT_EQ(parameters.at("flag"), "");
    EXPECT_EQ(parameters.at("y"), "");
}

TEST(ParseQuery, RejectsRepeatedNames)
{
    EXPECT_THROW(parseQuery("delete_home=true&delete_home=false"), InvalidRequestError);
}

TEST(IsValidUtf8, AcceptsWellFormedText)
{
    for (const char* text : {"", "plain", "caf\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF"})
        EXPECT_TRUE(isValidUtf8(text)) << "text '" << text << "'";
}

TEST(IsValidUtf8, RejectsMalformedText)
{
    const char* malformed[] = {
        "\x80",             // lone continuation byte
        "\xC3",             // truncated sequence
        "\xC0\xAF",         // overlong '/'
        "\xE0\x80\xAF",     // overlong '/'
        "\xED\xA0\x80",     // UTF-16 surrogate
        "\xF4\x90\x80\x80", // above U+10FFFF
        "\xFF",
    };
    for (const char* text : malformed)
        EXPECT_FALSE(isValidUtf8(text)) << "text '" << text << "'";
}

} // namespace
} // namespace pactown::gateway
