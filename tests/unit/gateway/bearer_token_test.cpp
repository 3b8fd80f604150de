#include "bearer_token.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sys/stat.h>

namespace pactown::gateway {
namespace {

constexpr const char* kSecret = "s3cret-token-0123456789";

TEST(BearerToken, AcceptsExactToken)
{
    const BearerToken token(kSecret);

    EXPECT_TRUE(token.acceptsAuthorization(std::string("Bearer ") + kSecret));
    EXPECT_TRUE(token.acceptsAuthorization(std::string("bearer ") + kSecret));
    EXPECT_TRUE(token.acceptsAuthorization(std::string("BEARER ") + kSecret));
}

TEST(BearerToken, RejectsOtherCredentials)
{
    const BearerToken token(kSecret);
    const std::string secret = kSecret;

    EXPECT_FALSE(token.acceptsAuthorization(""));
    EXPECT_FALSE(token.acceptsAuthorization("Bearer"));
    EXPECT_FALSE(token.acceptsAuthorization("Bearer "));
    EXPECT_FALSE(token.acceptsAuthorization(secret));
    EXPECT_FALSE(token.acceptsAuthorization("Basic " + secret));
    EXPECT_FALSE(token.acceptsAuthorization("Bearer  " + secret));
    EXPECT_FALSE(token.acceptsAuthorization("Bearer " + secret.substr(0, secret.size() - 1)));
    EXPECT_FALSE(token.acceptsAuthorization("Bearer " + secret + "x"));
    EXPECT_FALSE(token.acceptsAuthorization("Bearer " + secret + " "));
    std::string flipped = secret;
    flipped[0] ^= 1;
    EXPECT_FALSE(token.acceptsAuthorization("Bearer " + flipped));
}

TEST(BearerToken, RejectsShortOrBlankSecrets)
{
    EXPECT_THROW(BearerToken("short"), std::invalid_argument);
    EXPECT_THROW(BearerToken("has a blank inside it"), std::invalid_argument);
    EXPECT_THROW(BearerToken(std::string("0123456789abcdef\n")), std::invalid_argument);
}

class TokenFile : public testing::Test {
protected:
    void SetUp() override
    {
        std::string pattern = (std::filesystem::temp_directory_path() / "pactown-gateway-test-XXXXXX").string();
        ASSERT_NE(mkdtemp(pattern.data()), nullptr) << "cannot create a temporary directory";
        directory_ = pattern;
    }

    void TearDown() override { std::filesystem::remove_all(directory_); }

    std::filesystem::path write(const std::string& content, mode_t mode)
    {
        const std::filesystem::path path = directory_ / "token";
        std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
        chmod(path.c_str(), mode);
        return path;
    }

    std::filesystem::path directory_;
};

TEST_F(TokenFile, LoadsTokenWithoutTrailingNewline)
{
    const BearerToken token = BearerToken::loadFromFile(write(std::string(kSecret) + "\n", 0600));

    EXPECT_TRUE(token.acceptsAuthorization(std::string("Bearer ") + kSecret));
}

TEST_F(TokenFile, RejectsGroupOrWorldAccess)
{
    for (mode_t mode : {0640, 0604, 0620, 0660, 0644}) {
        const std::filesystem::path path = write(kSecret, mode);
        try {
            BearerToken::loadFromFile(path);
            ADD_FAILURE() << "mode " << std::oct << mode << " was accepted";
        } catch (const TokenFileError& error) {
            EXPECT_NE(std::string(error.what()).find("chmod 600"), std::string::npos) << error.what();
        }
    }
}

TEST_F(TokenFile, RejectsMissingFileAndDirectory)
{
    EXPECT_THROW(BearerToken::loadFromFile(directory_ / "missing"), TokenFileError);
    std::filesystem::create_directory(directory_ / "dir");
    chmod((directory_ / "dir").c_str(), 0700);
    EXPECT_THROW(BearerToken::loadFromFile(directory_ / "dir"), TokenFileError);
}

TEST_F(TokenFile, RejectsEmptyOrShortToken)
{
    EXPECT_THROW(BearerToken::loadFromFile(write("", 0600)), TokenFileError);
    EXPECT_THROW(BearerToken::loadFromFile(write("short\n", 0600)), TokenFileError);
    EXPECT_THROW(BearerToken::loadFromFile(write(std::string(kSecret) + "\n\n", 0600)), TokenFileError);
}

} // namespace
} // namespace pactown::gateway
