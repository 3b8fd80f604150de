#include "identity/saas_id.h"

#include <pactown/errors.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pactown {
namespace {

std::string messageOf(void (*validate)(std::string_view), std::string_view value)
{
    try {
        validate(value);
    } catch (const InvalidArgumentError& error) {
        return error.what();
    }
    return "";
}

TEST(SaasUserIdValidation, AcceptsOpaqueIds)
{
    const std::vector<std::string> accepted = {
        "auth0|123456",
        "user@example.com",
        "user:1",
        "saas_user_123",
        "a",
        std::string(255, 'x'),
        "Zoë Ångström",
        "用户",
        "emoji \xf0\x9f\x98\x80",
        "\xf4\x8f\xbf\xbf",          // U+10FFFF, the last code point
        "\xc2\xa0 non-breaking",     // U+00A0, the first after the C1 controls
        "../../etc/passwd",          // opaque: it never becomes a path
        "quote ' and \\ backslash",
    };
    for (const auto& id : accepted)
        EXPECT_NO_THROW(validateSaasUserId(id)) << id;
}

struct RejectedId {
    std::string id;
    std::string expectedMessage;
};

TEST(SaasUserIdValidation, RejectsInvalidIdsWithOffset)
{
    const std::vector<RejectedId> rejected = {
        {"", "saas user id is empty"},
        {std::string(256, 'x'), "is 256 bytes long, the maximum is 255"},
        {std::string("a\x01", 2), "saas user id 'a\\x01' has a control character at byte 1"},
        {std::string("\0abc", 4), "'\\x00abc' has a control character at byte 0"},
        {"tab\there", "'tab\\x09here' has a control character at byte 3"},
        {"new\nline", "has a control character at byte 3"},
        {"del\x7f", "'del\\x7F' has a control character at byte 3"},
        {"c1\xc2\x85", "'c1\\xC2\\x85' has a control character at byte 2"},
        {"c1\xc2\x9f", "has a control character at byte 2"},
        {"ab\xff", "'ab\\xFF' has an invalid UTF-8 lead byte at byte 2"},
        {"\x80x", "has an unexpected UTF-8 continuation byte at byte 0"},
        {"ok\xc3", "has a truncated UTF-8 sequence at byte 2"},
        {"ok\xe2\x82x", "has a truncated UTF-8 sequence at byte 2"},
        {"x\xc0\xaf", "'x\\xC0\\xAF' has an overlong UTF-8 sequence at byte 1"},
        {"x\xe0\x80\xaf", "has an overlong UTF-8 sequence at byte 1"},
        {"x\xf0\x82\x82\xac", "has an overlong UTF-8 sequence at byte 1"},
        {"x\xed\xa0\x80", "has a UTF-16 surrogate encoded in UTF-8 at byte 1"},
        {"x\xed\xbf\xbf", "has a UTF-16 surrogate encoded in UTF-8 at byte 1"},
        {"x\xf4\x90\x80\x80", "has a code point above U+10FFFF at byte 1"},
        {"x\xf8\x88\x80\x80\x80", "has an invalid UTF-8 lead byte at byte 1"},
    };
    for (const auto& [id, expected] : rejected) {
        std::string message = messageOf(validateSaasUserId, id);
        EXPECT_NE(message.find(expected), std::string::npos)
            << "id " << quoteForMessage(id) << " gave '" << message << "', expected '" << expected << "'";
    }
}

TEST(SaasUserIdValidation, TruncatesOverlongIdInMessage)
{
    std::string message = messageOf(validateSaasUserId, std::string(300, 'y'));
    EXPECT_EQ(message, "saas user id '" + std::string(64, 'y') + "'... is 300 bytes long, the maximum is 255");
}

TEST(ServiceIdValidation, AcceptsDirectoryNames)
{
    const std::vector<std::string> accepted = {"my-api", "service_123", "a.b", "...", ".hidden", "ü",
                                               std::string(255, 's')};
    for (const auto& id : accepted)
        EXPECT_NO_THROW(validateServiceId(id)) << id;
}

TEST(ServiceIdValidation, RejectsPathsAndControls)
{
    const std::vector<RejectedId> rejected = {
        {"", "service id is empty"},
        {".", "service id '.' is not a directory name"},
        {"..", "service id '..' is not a directory name"},
        {"a/b", "service id 'a/b' has a '/' at byte 1"},
        {"/", "has a '/' at byte 0"},
        {std::string("a\0b", 3), "'a\\x00b' has a control character at byte 1"},
        {"a\x1f", "has a control character at byte 1"},
        {"a\x7f", "has a control character at byte 1"},
        {"x\xc2\x80", "has a control character at byte 1"},
        {"x\xc0\xae", "has an overlong UTF-8 sequence at byte 1"},
        {std::string(256, 's'), "is 256 bytes long, the maximum is 255"},
    };
    for (const auto& [id, expected] : rejected) {
        std::string message = messageOf(validateServiceId, id);
        EXPECT_NE(message.find(expected), std::string::npos)
            << "id " << quoteForMessage(id) << " gave '" << message << "', expected '" << expected << "'";
    }
}

TEST(QuoteForMessage, EscapesUnprintableBytes)
{
    EXPECT_EQ(quoteForMessage("plain"), "'plain'");
    EXPECT_EQ(quoteForMessage(""), "''");
    EXPECT_EQ(quoteForMessage("it's a\\b"), "'it\\'s a\\\\b'");
    EXPECT_EQ(quoteForMessage(std::string("\x00\x1b[31m", 6)), "'\\x00\\x1B[31m'");
    EXPECT_EQ(quoteForMessage("Zoë"), "'Zoë'");
    EXPECT_EQ(quoteForMessage("\xc2\x9b"), "'\\xC2\\x9B'");
    EXPECT_EQ(quoteForMessage("\xff\xfe"), "'\\xFF\\xFE'");
}

TEST(QuoteForMessage, TruncatesAtCharacterBoundary)
{
    EXPECT_EQ(quoteForMessage("abcdef", 4), "'abcd'...");
    EXPECT_EQ(quoteForMessage("abcd", 4), "'abcd'");
    // "ë" is two bytes and would cross the limit, so it is dropped whole.
    EXPECT_EQ(quoteForMessage("abcë", 4), "'abc'...");
}

} // namespace
} // namespace pactown
