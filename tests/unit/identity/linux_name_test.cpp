#include "identity/linux_name.h"

#include <pactown/errors.h>

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace pactown {
namespace {

// Every saas id gets the same hash, as when ids collide in their first digits.
std::string collidingHash(std::string_view)
{
    return "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
}

TEST(LinuxNameCandidate, FirstAttemptIsReferenceScheme)
{
    // The first 8 hex digits of SHA-256 of the id, checked against Python's hashlib.
    EXPECT_EQ(linuxNameCandidate("user@example.com", 0), "pactown_b4c9a289");
    EXPECT_EQ(linuxNameCandidate("auth0|123456", 0), "pactown_59b4f4f5");
    EXPECT_EQ(linuxNameCandidate("saas_user_123", 0), "pactown_5c0d144f");
}

TEST(LinuxNameCandidate, CollisionSequenceIsDeterministic)
{
    EXPECT_EQ(linuxNameCandidate("a", 0, collidingHash), "pactown_01234567");
    EXPECT_EQ(linuxNameCandidate("a", 1, collidingHash), "pactown_012345678");
    EXPECT_EQ(linuxNameCandidate("a", 2, collidingHash), "pactown_0123456789");
    EXPECT_EQ(linuxNameCandidate("a", 15, collidingHash), "pactown_0123456789abcdef0123456");
    EXPECT_EQ(linuxNameCandidate("a", 16, collidingHash), "pactown_0123456789abcde-1");
    EXPECT_EQ(linuxNameCandidate("a", 17, collidingHash), "pactown_0123456789abcde-2");
    EXPECT_EQ(linuxNameCandidate("a", 15 + 9999999, collidingHash), "pactown_0123456789abcde-9999999");

    for (unsigned attempt = 0; attempt < 40; ++attempt)
        EXPECT_EQ(linuxNameCandidate("b", attempt, collidingHash), linuxNameCandidate("b", attempt, collidingHash));
}

TEST(LinuxNameCandidate, CandidatesAreValidAndDistinct)
{
    std::set<std::string> seen;
    for (unsigned attempt : {0u, 1u, 7u, 14u, 15u, 16u, 17u, 99u, 100000u, 10000014u}) {
        std::string name = linuxNameCandidate("a", attempt, collidingHash);
        EXPECT_TRUE(isValidLinuxName(name)) << name;
        EXPECT_LE(name.size(), 31u) << name;
        EXPECT_TRUE(seen.insert(name).second) << "attempt " << attempt << " repeats " << name;
    }
}

TEST(LinuxNameCandidate, ThrowsWhenAttemptsRunOut)
{
    EXPECT_THROW(linuxNameCandidate("a", 15 + 10000000, collidingHash), SystemError);
}

TEST(LinuxNameCandidate, RejectsShortOrNonHexHash)
{
    EXPECT_THROW(linuxNameCandidate("a", 0, [](std::string_view) { return std::string("0123abcd"); }),
                 InvalidArgumentError);
    EXPECT_THROW(linuxNameCandidate("a", 0, [](std::string_view) { return std::string(64, 'G'); }),
                 InvalidArgumentError);
}

TEST(LinuxNameValidation, MatchesProductPattern)
{
    for (const char* name : {"pactown_b4c9a289", "_x", "a", "a-b_c9", "abcdefghijklmnopqrstuvwxyz01234"})
        EXPECT_TRUE(isValidLinuxName(name)) << name;
    for (const char* name : {"", "9abc", "-abc", "Abc", "a.b", "a b", "a:b", "abcdefghijklmnopqrstuvwxyz012345",
                             "pactown_\xc3\xa4"})
        EXPECT_FALSE(isValidLinuxName(name)) << name;
}

} // namespace
} // namespace pactown
