// Concurrent creations through pactownd, also while shadow-utils writes the same account files.
#include "../support/command.h"

#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <sstream>
#include <sys/stat.h>

#include <gtest/gtest.h>
#include <sdbus-c++/sdbus-c++.h>

namespace pactown::testing {
namespace {

constexpr const char* busName = "com.pactown.Isolation1";
constexpr const char* managerInterface = "com.pactown.Isolation1.Manager";
constexpr const char* userInterface = "com.pactown.Isolation1.User";

struct TenantAnswer {
    std::string path;
    std::string linuxName;
    uint32_t uid = 0;
    std::string home;
};

// Calls GetOrCreateUser on a connection of its own, as an independent client would, and reads
// the tenant object's properties.
TenantAnswer getOrCreate(const std::string& saasUserId)
{
    auto connection = sdbus::createSystemBusConnection();
    auto manager = sdbus::createProxy(*connection, busName, "/com/pactown/Isolation1");
    sdbus::ObjectPath path;
    manager->callMethod("GetOrCreateUser").onInterface(managerInterface).withArguments(saasUserId).storeResultsTo(path);

    auto user = sdbus::createProxy(*connection, busName, path);
    TenantAnswer answer;
    answer.path = path;
    answer.linuxName = user->getProperty("LinuxUsername").onInterface(userInterface).get<std::string>();
    answer.uid = user->getProperty("UID").onInterface(userInterface).get<uint32_t>();
    answer.home = user->getProperty("HomeDirectory").onInterface(userInterface).get<std::string>();
    return answer;
}

// passwd entries by name: UID and GECOS.
std::map<std::string, std::pair<uint32_t, std::string>> readPasswd()
{
    std::map<std::string, std::pair<uint32_t, std::string>> users;
    std::ifstream input("/etc/passwd");
    for (std::string line; std::getline(input, line);) {
        std::vector<std::string> fields;
        std::stringstream stream(line);
        for (std::string field; std::getline(stream, field, ':');)
            fields.push_back(field);
        if (fields.size() >= 5)
            users[fields[0]] = {static_cast<uint32_t>(std::stoul(fields[2])), fields[4]};
    }
    return users;
}

// The lines of pwck -r and grpck -r. The sandbox's /etc is a copy of the host's, whose own
// entries may already draw warnings (such as homes that do not exist), so tests compare
// against the lines before they ran.
std::set<std::string> accountCheckLines()
{
    std::set<std::string> lines;
    for (const char* command : {"pwck -r 2>&1", "grpck -r 2>&1"}) {
        std::stringstream output(runShell(command).out);
        for (std::string line; std::getline(output, line);)
            lines.insert(line);
    }
    return lines;
}

std::string newLines(const std::set<std::string>& before, const std::set<std::string>& after)
{
    std::string added;
    for (const auto& line : after) {
        if (!before.contains(line))
            added += line + "\n";
    }
    return added;
}

void expectPrivateHome(const TenantAnswer& tenant)
{
    struct stat status {};
    ASSERT_EQ(::lstat(tenant.home.c_str(), &status), 0) << tenant.home;
    EXPECT_EQ(status.st_uid, tenant.uid) << tenant.home;
    EXPECT_EQ(status.st_mode & 07777, 0700u) << tenant.home;
}

class ScaleOverDbus : public ::testing::Test {
protected:
    void SetUp() override { requireSandbox(); }
};

TEST_F(ScaleOverDbus, ConcurrentCreatesGetOneRecordPerId)
{
    const std::string shared = "scale|one-id";
    std::vector<std::future<TenantAnswer>> sameId;
    std::vector<std::future<TenantAnswer>> distinctIds;
    for (int i = 0; i < 50; ++i) {
        sameId.push_back(std::async(std::launch::async, [&] { return getOrCreate(shared); }));
        distinctIds.push_back(std::async(std::launch::async, [i] { return getOrCreate("scale|distinct-" + std::to_string(i)); }));
    }

    std::set<uint32_t> uids;
    std::set<std::string> names;
    TenantAnswer first = sameId.front().get();
    uids.insert(first.uid);
    names.insert(first.linuxName);
    expectPrivateHome(first);
    for (size_t i = 1; i < sameId.size(); ++i) {
        TenantAnswer answer = sameId[i].get();
        EXPECT_EQ(answer.path, first.path);
        EXPECT_EQ(answer.uid, first.uid);
        EXPECT_EQ(answer.linuxName, first.linuxName);
        EXPECT_EQ(answer.home, first.home);
    }
    for (auto& future : distinctIds) {
        TenantAnswer answer = future.get();
        uids.insert(answer.uid);
        names.insert(answer.linuxName);
        expectPrivateHome(answer);
    }
    EXPECT_EQ(uids.size(), 51u);
    EXPECT_EQ(names.size(), 51u);

    auto passwd = readPasswd();
    for (const auto& name : names) {
        ASSERT_TRUE(passwd.contains(name)) << name;
        EXPECT_TRUE(uids.contains(passwd[name].first)) << name;
    }
    CommandResult users = pactownctl({"users", "--json"});
    ASSERT_EQ(users.status, 0) << users.err;
    EXPECT_EQ(users.out.find("scale|one-id"), users.out.rfind("scale|one-id")) << "two records for one saas id";
}

TEST_F(ScaleOverDbus, ShadowUtilsWritesSurviveConcurrentCreates)
{
    const auto checkBefore = accountCheckLines();
    // useradd and usermod -c write the same files under the same lock until the test is done.
    const std::string stopFile = "/tmp/scale-useradd-stop";
    std::filesystem::remove(stopFile);
    auto loop = std::async(std::launch::async, [&] {
        return runShell("i=0; while [ ! -e " + stopFile + " ] && [ $i -lt 3000 ]; do "
                        "useradd -m -s /usr/sbin/nologin scaleloop$i || exit 1; "
                        "usermod -c \"loop comment $i\" scaleloop$i || exit 1; i=$((i+1)); done; echo $i");
    });

    std::vector<std::future<std::vector<TenantAnswer>>> workers;
    for (int worker = 0; worker < 8; ++worker) {
        workers.push_back(std::async(std::launch::async, [worker] {
            std::vector<TenantAnswer> answers;
            for (int i = worker; i < 500; i += 8)
                answers.push_back(getOrCreate("scale|with-useradd-" + std::to_string(i)));
            return answers;
        }));
    }
    std::vector<TenantAnswer> tenants;
    for (auto& worker : workers) {
        auto answers = worker.get();
        tenants.insert(tenants.end(), answers.begin(), answers.end());
    }
    std::ofstream(stopFile).put('\n');
    CommandResult loopResult = loop.get();
    ASSERT_EQ(loopResult.status, 0) << loopResult.out << loopResult.err;
    const int loopUsers = std::stoi(loopResult.out);
    EXPECT_GT(loopUsers, 0);

    auto passwd = readPasswd();
    ASSERT_EQ(tenants.size(), 500u);
    std::set<uint32_t> uids;
    for (const auto& tenant : tenants) {
        ASSERT_TRUE(passwd.contains(tenant.linuxName)) << "tenant account lost: " << tenant.linuxName;
        EXPECT_EQ(passwd[tenant.linuxName].first, tenant.uid);
        EXPECT_TRUE(uids.insert(tenant.uid).second) << "UID " << tenant.uid << " given twice";
    }
    for (int i = 0; i < loopUsers; ++i) {
        std::string name = "scaleloop" + std::to_string(i);
        ASSERT_TRUE(passwd.contains(name)) << "useradd's entry lost: " << name;
        EXPECT_EQ(passwd[name].second, "loop comment " + std::to_string(i)) << "usermod's change lost: " << name;
    }
    EXPECT_EQ(newLines(checkBefore, accountCheckLines()), "");
    std::printf("useradd and usermod ran %d times while 500 tenants were created\n", loopUsers);
}

TEST_F(ScaleOverDbus, DoctorFindsNothingAfterwards)
{
    CommandResult doctor = pactownctl({"doctor"});
    ASSERT_EQ(doctor.status, 0) << doctor.err;
    EXPECT_EQ(doctor.out.find("pactown_"), std::string::npos) << doctor.out;
}

} // namespace
} // namespace pactown::testing
