#include "registry/registry.h"

#include "registry/sqlite.h"

#include <pactown/errors.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <unordered_set>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace pactown {
namespace {

using ::testing::HasSubstr;

// A directory under the system's temporary directory, removed with everything in it.
class TemporaryDirectory {
public:
    TemporaryDirectory()
    {
        std::string pattern = (std::filesystem::temp_directory_path() / "pactown-registry-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr)
            throw std::runtime_error("mkdtemp failed for '" + pattern + "'");
        path_ = pattern;
    }
    ~TemporaryDirectory() { std::filesystem::remove_all(path_); }
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

TenantRecord makeRecord(const std::string& saasUserId, const std::string& linuxName, uid_t uid)
{
    return TenantRecord{
        .saasUserId = saasUserId,
        .linuxName = linuxName,
        .uid = uid,
        .gid = uid,
        .home = "/home/pactown_users/" + linuxName,
        .createdAt = 1700000000.25 + uid,
        .state = TenantState::Active,
        .mode = AccountMode::System,
    };
}

mode_t modeOf(const std::filesystem::path& path)
{
    struct stat status {};
    if (lstat(path.c_str(), &status) != 0)
        throw std::runtime_error("lstat failed for '" + path.string() + "'");
    return status.st_mode & 07777;
}

// Forks a child that runs body and exits 0 when it returns true, 1 otherwise. The child never
// returns into the test framework.
template <typename Body>
pid_t forkChild(Body body)
{
    pid_t pid = fork();
    if (pid == 0) {
        bool succeeded = false;
        try {
            succeeded = body();
        } catch (const std::exception& error) {
            std::fprintf(stderr, "child %d failed: %s\n", getpid(), error.what());
        }
        _exit(succeeded ? 0 : 1);
    }
    return pid;
}

int waitForExit(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return status;
}

// A pipe on which one side blocks until the other writes a byte.
class Signal {
public:
    Signal()
    {
        if (pipe(fds_.data()) != 0)
            throw std::runtime_error("pipe failed");
    }
    ~Signal()
    {
        close(fds_[0]);
        close(fds_[1]);
    }
    void notify(char count = 1)
    {
        for (char i = 0; i < count; ++i)
            if (write(fds_[1], "x", 1) != 1)
                throw std::runtime_error("write to pipe failed");
    }
    bool wait()
    {
        char byte = 0;
        return read(fds_[0], &byte, 1) == 1;
    }

private:
    std::array<int, 2> fds_{};
};

class RegistryTest : public ::testing::Test {
protected:
    TemporaryDirectory temporary_;
    std::filesystem::path stateDirectory_ = temporary_.path() / "state";
};

TEST_F(RegistryTest, RoundTripsUnusualSaasIds)
{
    Registry registry(stateDirectory_);
    const std::vector<std::string> ids = {
        "auth0|123456", "user@example.com", "user:1", "Zoë Ærøskøbing 東京 🙂", "it's \"quoted\"; DROP TABLE tenants",
    };

    for (size_t i = 0; i < ids.size(); ++i)
        registry.insert(makeRecord(ids[i], "pactown_" + std::to_string(i), static_cast<uid_t>(70000 + i)));

    for (size_t i = 0; i < ids.size(); ++i) {
        TenantRecord expected = makeRecord(ids[i], "pactown_" + std::to_string(i), static_cast<uid_t>(70000 + i));
        EXPECT_EQ(registry.findBySaasId(ids[i]), expected) << ids[i];
        EXPECT_EQ(registry.findByLinuxName(expected.linuxName), expected) << ids[i];
        EXPECT_EQ(registry.findByUid(expected.uid), expected) << ids[i];
    }
    EXPECT_EQ(registry.findBySaasId("auth0|12345"), std::nullopt);
    EXPECT_EQ(registry.findByLinuxName("pactown_99"), std::nullopt);
    EXPECT_EQ(registry.findByUid(69999), std::nullopt);
}

TEST_F(RegistryTest, RoundTripsVirtualModeAndStates)
{
    Registry registry(stateDirectory_);
    TenantRecord record = makeRecord("user:2", "pactown_v", 70001);
    record.mode = AccountMode::Virtual;
    record.state = TenantState::Creating;

    registry.insert(record);
    EXPECT_EQ(registry.findBySaasId("user:2"), record);

    registry.setState("user:2", TenantState::Deleting);
    EXPECT_EQ(registry.findBySaasId("user:2")->state, TenantState::Deleting);
}

TEST_F(RegistryTest, KeepsRecordsAfterReopening)
{
    TenantRecord record = makeRecord("auth0|123456", "pactown_a", 70000);
    {
        Registry registry(stateDirectory_);
        registry.insert(record);
    }

    Registry reopened(stateDirectory_);
    EXPECT_EQ(reopened.findBySaasId("auth0|123456"), record);
}

TEST_F(RegistryTest, CreatesPrivateFilesWhateverTheUmask)
{
    mode_t previous = umask(0);
    {
        Registry registry(stateDirectory_);
        registry.insert(makeRecord("a", "pactown_a", 70000));
        EXPECT_EQ(modeOf(stateDirectory_), 0700u);
        EXPECT_EQ(modeOf(registry.databasePath()), 0600u);
        EXPECT_EQ(modeOf(registry.databasePath().string() + "-wal"), 0600u);
        EXPECT_EQ(modeOf(registry.databasePath().string() + "-shm"), 0600u);
    }
    umask(previous);
}

TEST_F(RegistryTest, ResetsLooseDatabaseModeOnOpen)
{
    std::filesystem::path database;
    {
        Registry registry(stateDirectory_);
        database = registry.databasePath();
    }
    ASSERT_EQ(chmod(database.c_str(), 0644), 0);

    Registry reopened(stateDirectory_);
    EXPECT_EQ(modeOf(database), 0600u);
}

TEST_F(RegistryTest, RejectsDirectoryWritableByOthers)
{
    std::filesystem::create_directory(stateDirectory_);
    ASSERT_EQ(chmod(stateDirectory_.c_str(), 0777), 0);

    try {
        Registry registry(stateDirectory_);
        FAIL() << "a world-writable state directory was accepted";
    } catch (const SystemError& error) {
        EXPECT_THAT(error.what(), HasSubstr("'" + stateDirectory_.string() + "'"));
        EXPECT_THAT(error.what(), HasSubstr("writable by group or others"));
    }
}

TEST_F(RegistryTest, RejectsSymlinkedDatabase)
{
    std::filesystem::create_directory(stateDirectory_);
    std::filesystem::create_symlink(temporary_.path() / "elsewhere.sqlite", stateDirectory_ / "registry.sqlite");

    EXPECT_THROW(Registry registry(stateDirectory_), SystemError);
    EXPECT_FALSE(std::filesystem::exists(temporary_.path() / "elsewhere.sqlite"));
}

TEST_F(RegistryTest, NamesUncreatableStateDirectory)
{
    std::filesystem::path notDirectory = temporary_.path() / "file";
    { std::ofstream(notDirectory) << "x"; }
    std::filesystem::path inside = notDirectory / "state";

    try {
        Registry registry(inside);
        FAIL() << "a state directory below a regular file was accepted";
    } catch (const SystemError& error) {
        EXPECT_THAT(error.what(), HasSubstr("'" + inside.string() + "'"));
    }
}

TEST_F(RegistryTest, RejectsNewerSchemaVersion)
{
    std::filesystem::path database;
    {
        Registry registry(stateDirectory_);
        database = registry.databasePath();
    }
    {
        sqlite::Database raw(database);
        raw.execute("PRAGMA user_version = 99");
    }

    try {
        Registry registry(stateDirectory_);
        FAIL() << "a database of schema version 99 was accepted";
    } catch (const SystemError& error) {
        EXPECT_THAT(error.what(), HasSubstr("schema version 99"));
    }
}

TEST_F(RegistryTest, InsertReportsEachConflict)
{
    Registry registry(stateDirectory_);
    registry.insert(makeRecord("auth0|1", "pactown_a", 70000));

    struct Case {
        TenantRecord record;
        RegistryConflict conflict;
        std::string mentioned;
    };
    const std::vector<Case> cases = {
        {makeRecord("auth0|1", "pactown_b", 70001), RegistryConflict::SaasUserId, "'auth0|1'"},
        {makeRecord("auth0|2", "pactown_a", 70001), RegistryConflict::LinuxName, "'pactown_a'"},
        {makeRecord("auth0|2", "pactown_b", 70000), RegistryConflict::Uid, "UID 70000"},
    };
    for (const auto& testCase : cases) {
        try {
            registry.insert(testCase.record);
            ADD_FAILURE() << "no conflict for " << testCase.mentioned;
        } catch (const RegistryConflictError& error) {
            EXPECT_EQ(error.conflict(), testCase.conflict) << testCase.mentioned;
            EXPECT_THAT(error.what(), HasSubstr(testCase.mentioned));
        }
    }
    EXPECT_EQ(registry.list().size(), 1u);
}

TEST_F(RegistryTest, InsertRejectsEmptyFields)
{
    Registry registry(stateDirectory_);

    EXPECT_THROW(registry.insert(makeRecord("", "pactown_a", 70000)), InvalidArgumentError);
    EXPECT_THROW(registry.insert(makeRecord("a", "", 70000)), InvalidArgumentError);
    TenantRecord noHome = makeRecord("a", "pactown_a", 70000);
    noHome.home.clear();
    EXPECT_THROW(registry.insert(noHome), InvalidArgumentError);
}

TEST_F(RegistryTest, QuarantinesUidOfRemovedTenant)
{
    Registry registry(stateDirectory_);
    registry.insert(makeRecord("user@example.com", "pactown_a", 70000));

    registry.removeAndQuarantine("user@example.com");

    EXPECT_EQ(registry.findBySaasId("user@example.com"), std::nullopt);
    EXPECT_TRUE(registry.isUidReserved(70000));
    EXPECT_FALSE(registry.isNameTaken("pactown_a"));
    ASSERT_EQ(registry.quarantinedUids().size(), 1u);
    EXPECT_EQ(registry.quarantinedUids()[0].uid, 70000u);
    EXPECT_EQ(registry.quarantinedUids()[0].linuxName, "pactown_a");
    try {
        registry.insert(makeRecord("other", "pactown_b", 70000));
        FAIL() << "a quarantined UID was handed out again";
    } catch (const RegistryConflictError& error) {
        EXPECT_EQ(error.conflict(), RegistryConflict::Uid);
        EXPECT_THAT(error.what(), HasSubstr("quarantine"));
    }
}

TEST_F(RegistryTest, ReleasedQuarantineFreesUid)
{
    Registry registry(stateDirectory_);
    registry.insert(makeRecord("a", "pactown_a", 70000));
    registry.removeAndQuarantine("a");

    registry.releaseQuarantine(70000);
    registry.releaseQuarantine(70000);

    EXPECT_FALSE(registry.isUidReserved(70000));
    EXPECT_NO_THROW(registry.insert(makeRecord("b", "pactown_b", 70000)));
}

TEST_F(RegistryTest, VirtualTenantsShareCallerUid)
{
    Registry registry(stateDirectory_);
    TenantRecord first = makeRecord("a", "pactown_a", 1000);
    first.mode = AccountMode::Virtual;
    TenantRecord second = makeRecord("b", "pactown_b", 1000);
    second.mode = AccountMode::Virtual;

    registry.insert(first);
    registry.insert(second);
    registry.removeAndQuarantine("a");

    EXPECT_EQ(registry.list(), (std::vector<TenantRecord>{second}));
    EXPECT_TRUE(registry.quarantinedUids().empty());
}

TEST_F(RegistryTest, RemoveReservationKeepsActiveRows)
{
    Registry registry(stateDirectory_);
    TenantRecord reserved = makeRecord("reserved", "pactown_r", 70000);
    reserved.state = TenantState::Creating;
    registry.insert(reserved);
    registry.insert(makeRecord("active", "pactown_a", 70001));

    registry.removeReservation("reserved");
    registry.removeReservation("active");

    EXPECT_EQ(registry.findBySaasId("reserved"), std::nullopt);
    EXPECT_FALSE(registry.isUidReserved(70000));
    EXPECT_FALSE(registry.wasDeleted("reserved"));
    EXPECT_TRUE(registry.findBySaasId("active").has_value());
}

TEST_F(RegistryTest, WasDeletedUntilCreatedAgain)
{
    Registry registry(stateDirectory_);
    registry.insert(makeRecord("auth0|1", "pactown_a", 70000));
    EXPECT_FALSE(registry.wasDeleted("auth0|1"));

    registry.removeAndQuarantine("auth0|1");
    EXPECT_TRUE(registry.wasDeleted("auth0|1"));
    EXPECT_FALSE(registry.wasDeleted("auth0|2"));

    registry.insert(makeRecord("auth0|1", "pactown_a", 70001));
    EXPECT_FALSE(registry.wasDeleted("auth0|1"));
}

TEST_F(RegistryTest, UnknownTenantThrowsNoSuchUser)
{
    Registry registry(stateDirectory_);

    EXPECT_THROW(registry.removeAndQuarantine("missing"), NoSuchUserError);
    EXPECT_THROW(registry.setState("missing", TenantState::Active), NoSuchUserError);
}

TEST_F(RegistryTest, ReservedUidsCoverTenantsAndQuarantine)
{
    Registry registry(stateDirectory_);
    registry.insert(makeRecord("a", "pactown_a", 70000));
    registry.insert(makeRecord("b", "pactown_b", 70001));
    registry.insert(makeRecord("c", "pactown_c", 70002));
    registry.setState("c", TenantState::Creating);
    registry.removeAndQuarantine("b");

    EXPECT_EQ(registry.reservedUids(), (std::unordered_set<uid_t>{70000, 70001, 70002}));
    EXPECT_TRUE(registry.isUidReserved(70002));
    EXPECT_FALSE(registry.isUidReserved(70003));
    EXPECT_TRUE(registry.isNameTaken("pactown_c"));
}

TEST_F(RegistryTest, ListReturnsActiveTenantsOldestFirst)
{
    Registry registry(stateDirectory_);
    TenantRecord newest = makeRecord("newest", "pactown_n", 70000);
    newest.createdAt = 300;
    TenantRecord oldest = makeRecord("oldest", "pactown_o", 70001);
    oldest.createdAt = 100;
    TenantRecord creating = makeRecord("creating", "pactown_c", 70002);
    creating.createdAt = 200;
    creating.state = TenantState::Creating;
    registry.insert(newest);
    registry.insert(creating);
    registry.insert(oldest);

    EXPECT_EQ(registry.list(), (std::vector<TenantRecord>{oldest, newest}));
    EXPECT_EQ(registry.listInState(TenantState::Creating), (std::vector<TenantRecord>{creating}));
    EXPECT_TRUE(registry.listInState(TenantState::Deleting).empty());
}

TEST_F(RegistryTest, AuditReturnsNewestEntriesInOrder)
{
    Registry registry(stateDirectory_);
    for (int i = 0; i < 5; ++i)
        registry.appendAudit({.time = 1000.0 + i, .callerUid = 0, .method = "GetOrCreateUser",
                              .saasUserId = "auth0|" + std::to_string(i), .result = "ok"});

    std::vector<AuditEntry> entries = registry.audit(3);

    ASSERT_EQ(entries.size(), 3u);
    EXPECT_EQ(entries[0].saasUserId, "auth0|2");
    EXPECT_EQ(entries[2].saasUserId, "auth0|4");
    EXPECT_EQ(entries[2].time, 1004.0);
    EXPECT_EQ(entries[2].method, "GetOrCreateUser");
    EXPECT_EQ(entries[2].result, "ok");
    EXPECT_LT(entries[0].id, entries[1].id);
    EXPECT_EQ(registry.audit(100).size(), 5u);
}

TEST_F(RegistryTest, ThrowingTransactionRollsBack)
{
    Registry registry(stateDirectory_);

    EXPECT_THROW(registry.runInTransaction([&] {
        registry.insert(makeRecord("a", "pactown_a", 70000));
        throw std::runtime_error("fails after the insert");
    }),
                 std::runtime_error);

    EXPECT_EQ(registry.findBySaasId("a"), std::nullopt);
    EXPECT_FALSE(registry.isUidReserved(70000));
    EXPECT_NO_THROW(registry.insert(makeRecord("a", "pactown_a", 70000)));
}

TEST_F(RegistryTest, NestedTransactionRollsBackAlone)
{
    Registry registry(stateDirectory_);

    int result = registry.runInTransaction([&] {
        registry.insert(makeRecord("outer", "pactown_o", 70000));
        try {
            registry.runInTransaction([&] {
                registry.insert(makeRecord("inner", "pactown_i", 70001));
                throw std::runtime_error("inner fails");
            });
        } catch (const std::runtime_error&) {
        }
        return 42;
    });

    EXPECT_EQ(result, 42);
    EXPECT_TRUE(registry.findBySaasId("outer").has_value());
    EXPECT_EQ(registry.findBySaasId("inner"), std::nullopt);
}

TEST_F(RegistryTest, ThreadsShareOneRegistry)
{
    Registry registry(stateDirectory_);
    constexpr int threadCount = 4;
    constexpr int recordsPerThread = 25;

    std::vector<std::thread> threads;
    for (int t = 0; t < threadCount; ++t) {
        threads.emplace_back([&registry, t] {
            for (int i = 0; i < recordsPerThread; ++i) {
                std::string name = "pactown_t" + std::to_string(t) + "_" + std::to_string(i);
                registry.insert(makeRecord("thread" + name, name, static_cast<uid_t>(70000 + t * 1000 + i)));
            }
        });
    }
    for (auto& thread : threads)
        thread.join();

    EXPECT_EQ(registry.list().size(), static_cast<size_t>(threadCount * recordsPerThread));
}

// Takes the lowest free UID from 70000 on and inserts a tenant with it, the way an allocator
// does. Two processes doing this at once collide unless the transaction is atomic.
void allocateAndInsert(Registry& registry, const std::string& saasUserId, const std::string& linuxName)
{
    registry.runInTransaction([&] {
        uid_t uid = 70000;
        while (registry.isUidReserved(uid))
            ++uid;
        registry.insert(makeRecord(saasUserId, linuxName, uid));
    });
}

TEST_F(RegistryTest, ConcurrentProcessesLoseNoRecord)
{
    constexpr int processCount = 2;
    constexpr int recordsPerProcess = 100;
    Signal start;

    std::vector<pid_t> children;
    for (int p = 0; p < processCount; ++p) {
        children.push_back(forkChild([&, p] {
            if (!start.wait())
                return false;
            // Both processes create the database and its schema at the same time, too.
            Registry registry(stateDirectory_);
            for (int i = 0; i < recordsPerProcess; ++i) {
                std::string name = "pactown_p" + std::to_string(p) + "_" + std::to_string(i);
                allocateAndInsert(registry, "process|" + name, name);
            }
            return true;
        }));
        ASSERT_GT(children.back(), 0) << "fork failed";
    }
    start.notify(processCount);

    for (pid_t child : children) {
        int status = waitForExit(child);
        ASSERT_TRUE(WIFEXITED(status)) << "child did not exit normally, wait status " << status;
        EXPECT_EQ(WEXITSTATUS(status), 0) << "child failed; its error is on stderr";
    }
    Registry registry(stateDirectory_);
    std::vector<TenantRecord> tenants = registry.list();
    ASSERT_EQ(tenants.size(), static_cast<size_t>(processCount * recordsPerProcess));
    std::unordered_set<uid_t> uids;
    for (const auto& tenant : tenants)
        uids.insert(tenant.uid);
    EXPECT_EQ(uids.size(), tenants.size());
    EXPECT_EQ(*std::max_element(uids.begin(), uids.end()), 70000u + processCount * recordsPerProcess - 1);
}

TEST_F(RegistryTest, KilledWriterLeavesConsistentDatabase)
{
    // No connection may be open across fork(): SQLite keeps per-process lock state in memory,
    // and a child would inherit the parent's.
    {
        Registry registry(stateDirectory_);
        registry.insert(makeRecord("before", "pactown_b", 70000));
    }
    Signal holding;

    pid_t child = forkChild([&] {
        Registry own(stateDirectory_);
        own.runInTransaction([&] {
            own.insert(makeRecord("uncommitted", "pactown_u", 70001));
            own.removeAndQuarantine("before");
            holding.notify();
            pause();
        });
        return false;
    });
    ASSERT_GT(child, 0) << "fork failed";
    ASSERT_TRUE(holding.wait()) << "the child exited before it opened its transaction";

    {
        // Readers are not blocked by the open write transaction, and do not see it.
        Registry reader(stateDirectory_);
        EXPECT_EQ(reader.findBySaasId("uncommitted"), std::nullopt);
        EXPECT_TRUE(reader.findBySaasId("before").has_value());
    }
    ASSERT_EQ(kill(child, SIGKILL), 0);
    int status = waitForExit(child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child was not killed, wait status " << status;
    EXPECT_EQ(WTERMSIG(status), SIGKILL);

    Registry reopened(stateDirectory_);
    EXPECT_EQ(reopened.findBySaasId("uncommitted"), std::nullopt);
    EXPECT_TRUE(reopened.findBySaasId("before").has_value());
    EXPECT_FALSE(reopened.isUidReserved(70001));
    EXPECT_NO_THROW(reopened.insert(makeRecord("after", "pactown_u", 70001)));
    sqlite::Database raw(reopened.databasePath());
    auto check = raw.query("PRAGMA integrity_check");
    ASSERT_TRUE(check.step());
    EXPECT_EQ(check.textColumn(0), "ok");
}

} // namespace
} // namespace pactown
