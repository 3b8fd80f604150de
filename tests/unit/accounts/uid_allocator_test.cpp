#include "accounts/uid_allocator.h"

#include <pactown/errors.h>

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "temp_root.h"

namespace pactown {
namespace {

using test::TempRoot;

bool noneReserved(uid_t)
{
    return false;
}

bool unknownToNss(uid_t)
{
    return false;
}

class UidAllocatorTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        root.writeFile("passwd", "root:x:0:0::/root:/bin/sh\n"
                                 "a:x:70000:70000::/home/a:/usr/sbin/nologin\n"
                                 "broken line\n");
        root.writeFile("group", "root:x:0:\na:x:70000:\ngrouponly:x:70001:\n");
    }

    TempRoot root;
};

TEST_F(UidAllocatorTest, ChoosesLowestIdFreeAsUidAndGid)
{
    EXPECT_EQ(allocateUid({70000, 70100}, root.path(), noneReserved, unknownToNss), 70002u);
}

TEST_F(UidAllocatorTest, SkipsSubordinateRanges)
{
    root.writeFile("subuid", "alice:70002:3\n# comment\nbad line\n");
    root.writeFile("subgid", "bob:70004:2\nzero:70006:0\n");
    EXPECT_EQ(allocateUid({70000, 70100}, root.path(), noneReserved, unknownToNss), 70006u);
}

TEST_F(UidAllocatorTest, SkipsReservedIds)
{
    std::set<uid_t> quarantined = {70002, 70003};
    auto reserved = [&](uid_t id) { return quarantined.contains(id); };
    EXPECT_EQ(allocateUid({70000, 70100}, root.path(), reserved, unknownToNss), 70004u);
}

TEST_F(UidAllocatorTest, AsksNssOnlyAboutPrefilteredCandidates)
{
    std::set<uid_t> asked;
    auto knownToNss = [&](uid_t id) {
        asked.insert(id);
        return id == 70002;
    };
    EXPECT_EQ(allocateUid({70000, 70100}, root.path(), noneReserved, knownToNss), 70003u);
    EXPECT_EQ(asked, (std::set<uid_t>{70002, 70003}));
}

TEST_F(UidAllocatorTest, ReadsTensOfThousandsOfAccountsOnce)
{
    std::string passwd;
    std::string group;
    for (uid_t id = 70000; id < 100000 - 1; ++id) {
        passwd += "u" + std::to_string(id) + ":x:" + std::to_string(id) + ":" + std::to_string(id) + "::/h:/bin/sh\n";
        group += "u" + std::to_string(id) + ":x:" + std::to_string(id) + ":\n";
    }
    root.writeFile("passwd", passwd);
    root.writeFile("group", group);

    unsigned nssQueries = 0;
    auto knownToNss = [&](uid_t) {
        ++nssQueries;
        return false;
    };
    EXPECT_EQ(allocateUid({70000, 99999}, root.path(), noneReserved, knownToNss), 99999u);
    EXPECT_EQ(nssQueries, 1u);
}

TEST_F(UidAllocatorTest, ThrowsNamingExhaustedRange)
{
    root.writeFile("subuid", "alice:70003:1\n");
    auto reserved = [](uid_t id) { return id == 70002; };
    try {
        allocateUid({70000, 70003}, root.path(), reserved, unknownToNss);
        FAIL() << "an ID was allocated from a full range";
    } catch (const UidRangeExhaustedError& error) {
        EXPECT_NE(std::string(error.what()).find("no free UID in range 70000-70003"), std::string::npos)
            << error.what();
    }
}

TEST_F(UidAllocatorTest, WorksWithoutAccountFiles)
{
    std::filesystem::remove(root.etc() / "passwd");
    std::filesystem::remove(root.etc() / "group");
    EXPECT_EQ(allocateUid({65536, 99999}, root.path(), noneReserved, unknownToNss), 65536u);
}

TEST_F(UidAllocatorTest, ConsultsHostNssByDefault)
{
    EXPECT_TRUE(isIdKnownToNss(0)) << "NSS of this host does not know UID 0";
    EXPECT_FALSE(isIdKnownToNss(3999999999u));
    EXPECT_TRUE(isAccountNameInUse("root", "/nonexistent-root"));
    EXPECT_TRUE(isAccountNameInUse("grouponly", root.path()));
    EXPECT_TRUE(isAccountNameInUse("a", root.path()));
    EXPECT_FALSE(isAccountNameInUse("pactown_00000000", root.path()));
}

TEST(UidRangeCheck, RejectsReservedRanges)
{
    const std::vector<std::pair<UidRange, std::string>> rejected = {
        {{100, 50}, "UID range 100-50 is empty"},
        {{500, 2000}, "overlaps 0-999, which is reserved for system users"},
        {{60001, 60001}, "systemd-homed"},
        {{60000, 60600}, "systemd-homed"},
        {{60577, 60577}, "systemd-nspawn --bind-user"},
        {{61184, 61184}, "DynamicUser="},
        {{65519, 65600}, "DynamicUser="},
        {{65534, 65534}, "nobody"},
        {{65535, 65535}, "(uid_t)-1 in 16 bits"},
        {{4000000000u, 4294967295u}, "(uid_t)-1"},
    };
    for (const auto& [range, expected] : rejected) {
        try {
            checkUidRange(range);
            ADD_FAILURE() << "range " << range.min << "-" << range.max << " was accepted";
        } catch (const ConfigError& error) {
            EXPECT_NE(std::string(error.what()).find(expected), std::string::npos) << error.what();
        }
    }
}

TEST(UidRangeCheck, AcceptsFreeRanges)
{
    EXPECT_NO_THROW(checkUidRange({65536, 99999}));
    EXPECT_NO_THROW(checkUidRange({1000, 59999}));
    EXPECT_NO_THROW(checkUidRange({60578, 61183}));
    EXPECT_NO_THROW(checkUidRange({65520, 65533}));
    EXPECT_NO_THROW(checkUidRange({100000, 4294967294u}));
}

} // namespace
} // namespace pactown
