// TenantStore::doctor(): what it finds in damaged account files and homes, and what it repairs.
#include "manager/tenant_store.h"

#include "accounts/account_writer.h"
#include "tenant_fixture.h"

#include <fstream>
#include <map>
#include <sys/stat.h>

#include <gtest/gtest.h>

namespace pactown::test {
namespace {

HostAccounts freeHost()
{
    return {[](uid_t) { return false; }, [](std::string_view) { return false; }};
}

std::map<std::string, DoctorFinding> bySubjectAndCheck(const DoctorReport& report)
{
    std::map<std::string, DoctorFinding> findings;
    for (const auto& finding : report.findings)
        findings[finding.check + " " + finding.subject] = finding;
    return findings;
}

std::string describe(const DoctorReport& report)
{
    std::string text;
    for (const auto& finding : report.findings)
        text += finding.check + " '" + finding.subject + "': " + toString(finding.outcome) + ": " + finding.detail + "\n";
    return text;
}

class TenantDoctorTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        requireRoot();
        store_ = std::make_unique<TenantStore>(config_, NameHasher{}, freeHost());
    }

    DoctorReport doctor(bool repair)
    {
        DoctorReport report;
        store_->doctor(report, repair);
        return report;
    }

    TenantWorld world_;
    Config config_ = world_.config();
    std::unique_ptr<TenantStore> store_;
};

TEST_F(TenantDoctorTest, ConsistentTenantsHaveNoFindings)
{
    store_->getOrCreate("healthy-1");
    store_->getOrCreate("healthy-2");
    DoctorReport report = doctor(false);
    EXPECT_TRUE(report.findings.empty()) << describe(report);
    EXPECT_TRUE(report.clean());
}

TEST_F(TenantDoctorTest, RepairsWhatIsSafeAndReportsTheRest)
{
    IsolatedUser noAccount = store_->getOrCreate("no-account");
    IsolatedUser openHome = store_->getOrCreate("open-home");
    IsolatedUser noHome = store_->getOrCreate("no-home");
    AccountWriter(world_.root()).removeAccounts({noAccount.linuxUsername});
    std::filesystem::permissions(openHome.homeDir, std::filesystem::perms(0755));
    std::filesystem::remove_all(noHome.homeDir);
    world_.appendLine("passwd", "pactown_0000abcd:x:71234:71234::/nonexistent:/usr/sbin/nologin");
    std::ofstream(world_.root() / "etc" / "passwd.pactownAbC123") << "partial";

    auto found = bySubjectAndCheck(doctor(false));
    EXPECT_EQ(found["account-missing " + noAccount.linuxUsername].outcome, DoctorFinding::Outcome::Found);
    EXPECT_EQ(found["home-mode " + openHome.homeDir.string()].outcome, DoctorFinding::Outcome::Found);
    EXPECT_EQ(found["home-missing " + noHome.homeDir.string()].outcome, DoctorFinding::Outcome::Found);
    EXPECT_EQ(found["account-without-tenant pactown_0000abcd"].outcome, DoctorFinding::Outcome::NeedsOperator);
    EXPECT_EQ(found.count("stale-temp-file " + (world_.root() / "etc" / "passwd.pactownAbC123").string()), 1u);

    DoctorReport repaired = doctor(true);
    for (const auto& finding : repaired.findings) {
        if (finding.check != "account-without-tenant") {
            EXPECT_EQ(finding.outcome, DoctorFinding::Outcome::Repaired) << describe(repaired);
        }
    }

    DoctorReport after = doctor(false);
    ASSERT_EQ(after.findings.size(), 1u) << describe(after);
    EXPECT_EQ(after.findings[0].check, "account-without-tenant");
    bool foreignKept = false;
    for (const auto& entry : world_.users())
        foreignKept = foreignKept || entry.name == "pactown_0000abcd";
    EXPECT_TRUE(foreignKept) << "doctor removed an account that no tenant owns";
    EXPECT_FALSE(std::filesystem::exists(world_.root() / "etc" / "passwd.pactownAbC123"));
}

TEST_F(TenantDoctorTest, HomeOfAnotherOwnerIsOnlyReported)
{
    IsolatedUser user = store_->getOrCreate("stolen-home");
    ASSERT_EQ(::chown(user.homeDir.c_str(), 4242, 4242), 0);

    auto found = bySubjectAndCheck(doctor(true));
    EXPECT_EQ(found["home-owner " + user.homeDir.string()].outcome, DoctorFinding::Outcome::NeedsOperator);
    struct stat status {};
    ASSERT_EQ(::lstat(user.homeDir.c_str(), &status), 0);
    EXPECT_EQ(status.st_uid, 4242u);
}

} // namespace
} // namespace pactown::test
