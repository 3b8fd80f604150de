// pactownd rejects a bad configuration at start with a message naming the file, line and key.
#include "../support/command.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace pactown::testing {
namespace {

class BadConfiguration : public ::testing::TestWithParam<std::pair<std::string, std::string>> {
protected:
    void SetUp() override
    {
        const char* build = std::getenv("PACTOWN_BUILD_DIR");
        ASSERT_NE(build, nullptr) << "PACTOWN_BUILD_DIR is not set: run the test through tests/integration/pactownd-sandbox";
        daemon_ = std::filesystem::path(build) / "src" / "daemon" / "pactownd";
        directory_ = std::filesystem::temp_directory_path() / "pactown-bad-config";
        std::filesystem::create_directories(directory_);
        std::ofstream(directory_ / "a-file") << "not a directory";
        std::filesystem::create_directories(directory_ / "open-state");
        std::filesystem::permissions(directory_ / "open-state", std::filesystem::perms(0777));
    }

    std::filesystem::path daemon_;
    std::filesystem::path directory_;
};

TEST_P(BadConfiguration, DaemonExitsWithMessage)
{
    auto [settings, expected] = GetParam();
    auto file = directory_ / "isolation.conf";
    std::string text = "[Isolation]\n" + settings;
    for (std::string::size_type at; (at = text.find("@DIR@")) != std::string::npos;)
        text.replace(at, 5, directory_.string());
    std::ofstream(file) << text;

    CommandResult result = runCommand({daemon_.string(), "--config", file.string()});
    EXPECT_EQ(result.status, 1) << result.err;
    EXPECT_NE(result.err.find(expected), std::string::npos) << result.err;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadConfiguration,
    ::testing::Values(
        std::pair{std::string("UIDMin=70000\nUIDMax=69999\n"), std::string("isolation.conf:3: invalid value '69999' for key 'UIDMax'")},
        std::pair{std::string("UIDMin=61000\nUIDMax=70000\n"), std::string("key 'UIDMax': the UID range 61000-70000 overlaps")},
        std::pair{std::string("UsersBase=/etc/pactown\n"), std::string("isolation.conf:2: invalid value '/etc/pactown' for key 'UsersBase'")},
        std::pair{std::string("StateDirectory=@DIR@/a-file/state\nUsersBase=@DIR@/users\n"),
                  std::string("a-file/state': failed to create its parent: Not a directory")},
        std::pair{std::string("StateDirectory=@DIR@/open-state\nUsersBase=@DIR@/users\n"), std::string("open-state")}));

} // namespace
} // namespace pactown::testing
