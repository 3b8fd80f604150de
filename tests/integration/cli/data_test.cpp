// Stats, export, import and delete through pactownctl against pactownd in the throwaway
// systemd, with homes and archives made by a hostile tenant.
#include "../support/command.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <sys/stat.h>

namespace pactown::testing {
namespace {

using nlohmann::json;

// A listing of every path below `directory` with type, mode, owner and a checksum of regular
// files, to compare a tree before and after an operation.
std::string fingerprint(const std::string& directory)
{
    return runShell("cd '" + directory + "' && find . -xdev -printf '%y %m %U:%G %p -> %l\\n' | sort && "
                    "find . -xdev -type f -print0 | sort -z | xargs -0 -r sha256sum")
        .out;
}

class PactownctlData : public ::testing::Test {
protected:
    void SetUp() override
    {
        requireSandbox();
        scratch_ = std::string(std::getenv("PACTOWN_BUILD_DIR")) + "/sandbox/data-test";
        runShell("rm -rf '" + scratch_ + "' && mkdir -p '" + scratch_ + "'");
        corpus_ = std::string(std::getenv("PACTOWN_SOURCE_DIR")) + "/tests/fuzz/corpus/importer";
    }

    json createTenant(const std::string& saasUserId)
    {
        auto created = pactownctl({"user", "create", saasUserId, "--json"});
        EXPECT_EQ(created.status, 0) << created.err;
        return json::parse(created.out);
    }

    // Runs a shell command as the tenant and expects it to succeed.
    void runAsTenant(const std::string& saasUserId, const std::string& command)
    {
        auto run = pactownctl({"run", saasUserId, "--wait", "--pipe", "--", command});
        ASSERT_EQ(run.status, 0) << run.out << run.err;
    }

    std::string scratch_;
    std::string corpus_;
};

TEST_F(PactownctlData, ExportDeleteImportRoundTrip)
{
    json before = createTenant("round-trip");
    std::string home = before.at("home_dir");
    runAsTenant("round-trip", "mkdir -p sandboxes/app/data && printf 'main' > sandboxes/app/main.py && "
                              "chmod 0750 sandboxes/app/data && printf 'x' > sandboxes/app/data/x && "
                              "chmod 0604 sandboxes/app/data/x && ln -s main.py sandboxes/app/link && "
                              "ln -s /etc/passwd sandboxes/app/outside");
    std::string original = fingerprint(home);
    std::string archive = scratch_ + "/round-trip.tar.gz";

    ASSERT_EQ(pactownctl({"export", "round-trip", archive}).status, 0);
    ASSERT_EQ(pactownctl({"delete", "round-trip", "--delete-home"}).status, 0);
    EXPECT_NE(::access(home.c_str(), F_OK), 0) << "the home survived delete --delete-home";
    auto imported = pactownctl({"import", "round-trip", archive});
    ASSERT_EQ(imported.status, 0) << imported.err;

    json after = json::parse(pactownctl({"user", "get", "round-trip", "--json"}).out);
    EXPECT_NE(after.at("linux_uid"), before.at("linux_uid")) << "a quarantined UID was handed out again";
    std::string oldOwner = std::to_string(before.at("linux_uid").get<unsigned>()) + ":" +
                           std::to_string(before.at("linux_gid").get<unsigned>());
    std::string newOwner = std::to_string(after.at("linux_uid").get<unsigned>()) + ":" +
                           std::to_string(after.at("linux_gid").get<unsigned>());
    std::string expected = original;
    for (size_t at = expected.find(oldOwner); at != std::string::npos; at = expected.find(oldOwner, at))
        expected.replace(at, oldOwner.size(), newOwner);
    EXPECT_EQ(fingerprint(after.at("home_dir")), expected);
}

TEST_F(PactownctlData, StatsOfHostileHome)
{
    json user = createTenant("hostile-stats");
    std::string home = user.at("home_dir");
    runAsTenant("hostile-stats",
                "mkdir -p sandboxes/one sandboxes/two && head -c 1048576 /dev/urandom > big && "
                "for i in $(seq 100); do ln big link$i; done && ln -s . loop && ln -s / root && "
                "truncate -s 1G sparse && printf '%4096s' x | dd of=sparse conv=notrunc 2>/dev/null");
    ASSERT_EQ(runShell("mkdir '" + home + "/locked' && touch '" + home + "/locked/secret' && chmod 000 '" + home +
                       "/locked'").status,
              0);

    auto stats = pactownctl({"stats", "hostile-stats", "--json"});

    ASSERT_EQ(stats.status, 0) << stats.err;
    json figures = json::parse(stats.out);
    EXPECT_EQ(figures.at("sandbox_count"), 2);
    // 1 MiB counted once, the sparse file by its 4 KiB of blocks: far below the 1 GiB it claims.
    EXPECT_GE(figures.at("total_size_mb").get<double>(), 1.0);
    EXPECT_LT(figures.at("total_size_mb").get<double>(), 2.0);
    EXPECT_GT(figures.at("disk").at("apparent_bytes").get<uint64_t>(), 1ull << 30);
    EXPECT_EQ(figures.at("disk").at("unreadable"), json::array({"locked"}));
    EXPECT_EQ(figures.at("user").at("saas_user_id"), "hostile-stats");
}

TEST_F(PactownctlData, HostileArchivesChangeNothing)
{
    json victim = createTenant("archive-victim");
    json other = createTenant("archive-bystander");
    runAsTenant("archive-victim", "echo keep > sandboxes/keep");
    runAsTenant("archive-bystander", "echo private > private");
    std::string etc = fingerprint("/etc");
    std::string victimHome = fingerprint(victim.at("home_dir"));
    std::string otherHome = fingerprint(other.at("home_dir"));

    for (const std::string name : {"absolute-name", "char-device", "escape-parent", "fifo", "file-over-link",
                                   "hardlink-absolute", "hardlink-parent", "truncated", "write-through-link"}) {
        SCOPED_TRACE(name);
        auto imported = pactownctl({"import", "archive-victim", corpus_ + "/" + name + ".tar.gz"});
        EXPECT_EQ(imported.status, 1);
        EXPECT_NE(imported.err.find("com.pactown.Isolation1.Error."), std::string::npos) << imported.err;
        EXPECT_EQ(fingerprint(victim.at("home_dir")), victimHome);
    }
    EXPECT_EQ(fingerprint("/etc"), etc);
    EXPECT_EQ(fingerprint(other.at("home_dir")), otherHome);
    EXPECT_EQ(runShell("ls -a /home/pactown_users | grep -c staging").out, "0\n") << "a staging directory remained";
}

TEST_F(PactownctlData, RejectedImportCreatesNoTenant)
{
    std::string passwd = readFile("/etc/passwd");

    auto imported = pactownctl({"import", "import-newcomer", corpus_ + "/escape-parent.tar.gz"});

    EXPECT_EQ(imported.status, 1);
    EXPECT_NE(imported.err.find("com.pactown.Isolation1.Error.UnsafeArchive"), std::string::npos) << imported.err;
    EXPECT_EQ(pactownctl({"user", "get", "import-newcomer"}).status, 1);
    EXPECT_EQ(readFile("/etc/passwd"), passwd);
}

TEST_F(PactownctlData, SetuidArchiveIsNeutralised)
{
    json user = createTenant("setuid-import");
    auto imported = pactownctl({"import", "setuid-import", corpus_ + "/setuid-root-shell.tar.gz"});
    ASSERT_EQ(imported.status, 0) << imported.err;

    auto listing = runShell("find '" + user.at("home_dir").get<std::string>() + "' -perm /7000 -o ! -uid " +
                            std::to_string(user.at("linux_uid").get<unsigned>()));
    EXPECT_EQ(listing.out, "") << "an entry kept setuid, setgid, sticky or a foreign owner";
}

TEST_F(PactownctlData, LinksOutOfHomeAreNotFollowed)
{
    json other = createTenant("link-target");
    json user = createTenant("link-owner");
    std::string home = user.at("home_dir");
    runAsTenant("link-target", "echo secret > secret");
    ASSERT_EQ(runShell("ln -s /etc '" + home + "/conf' && ln -s '" + other.at("home_dir").get<std::string>() + "' '" +
                       home + "/other'").status,
              0);
    std::string archive = scratch_ + "/links.tar.gz";

    ASSERT_EQ(pactownctl({"export", "link-owner", archive}).status, 0);

    auto listing = runCommand({"tar", "-tvzf", archive});
    EXPECT_NE(listing.out.find("conf -> /etc"), std::string::npos) << listing.out;
    EXPECT_EQ(listing.out.find("passwd"), std::string::npos) << "export read through conf -> /etc";
    EXPECT_EQ(listing.out.find("secret"), std::string::npos) << "export read another tenant's home";

    // An archive that writes below the links must not reach /etc or the other home.
    std::string etc = fingerprint("/etc");
    std::string otherHome = fingerprint(other.at("home_dir"));
    std::string crafted = scratch_ + "/through-links";
    ASSERT_EQ(runShell("mkdir -p " + crafted + "/home/conf " + crafted + "/home/other && echo x > " + crafted +
                       "/home/conf/x && echo x > " + crafted + "/home/other/stolen && tar -czf " + crafted +
                       ".tar.gz -C " + crafted + " home")
                  .status,
              0);
    pactownctl({"import", "link-owner", crafted + ".tar.gz"});
    EXPECT_EQ(fingerprint("/etc"), etc);
    EXPECT_EQ(fingerprint(other.at("home_dir")), otherHome);
}

TEST_F(PactownctlData, ExportWithActiveRuns)
{
    createTenant("busy-export");
    auto started = pactownctl({"run", "busy-export", "--json", "--", "while :; do date > sandboxes/clock; sleep 0.1; done"});
    ASSERT_EQ(started.status, 0) << started.err;
    std::string unit = json::parse(started.out).at("unit_name");
    std::string archive = scratch_ + "/busy.tar.gz";

    auto refused = pactownctl({"export", "busy-export", archive});
    EXPECT_EQ(refused.status, 1);
    EXPECT_NE(refused.err.find("com.pactown.Isolation1.Error.Busy"), std::string::npos) << refused.err;

    auto frozen = pactownctl({"export", "busy-export", archive, "--freeze"});
    EXPECT_EQ(frozen.status, 0) << frozen.err;
    EXPECT_NE(runCommand({"tar", "-tzf", archive}).out.find("sandboxes/clock"), std::string::npos);
    // The run goes on after the export: it is thawed, not stopped.
    EXPECT_EQ(runCommand({"systemctl", "is-active", unit}).out, "active\n");
    std::string pid = runCommand({"systemctl", "show", "--value", "-p", "MainPID", unit}).out;
    pid.pop_back();
    EXPECT_EQ(runShell("grep -q '^State:.*[RS]' /proc/" + pid + "/status").status, 0) << "the run stayed frozen";
    EXPECT_EQ(pactownctl({"stop", unit}).status, 0);
}

TEST_F(PactownctlData, DeleteEndsStubbornTenant)
{
    json user = createTenant("stubborn");
    std::string uid = std::to_string(user.at("linux_uid").get<unsigned>());
    std::string marker = user.at("home_dir").get<std::string>() + "/running";
    auto started = pactownctl({"run", "stubborn", "--", "trap '' HUP TERM; touch running; "
                                                        "while :; do sleep 1; done & wait"});
    ASSERT_EQ(started.status, 0) << started.err;
    ASSERT_EQ(runShell("for i in $(seq 100); do [ -e " + marker + " ] && exit 0; sleep 0.1; done; exit 1").status, 0);
    // A process outside any unit, as a login session would leave behind, with files in the
    // shared temporary directories (a run's own /tmp and /dev/shm are private to it).
    ASSERT_EQ(runShell("setpriv --reuid=" + uid + " --regid=" + uid + " --clear-groups sh -c 'trap \"\" HUP TERM; "
                       "touch /tmp/stubborn-file /dev/shm/stubborn-shm; exec sleep 1000' </dev/null >/dev/null 2>&1 &")
                  .status,
              0);
    ASSERT_EQ(runShell("for i in $(seq 100); do [ -e /dev/shm/stubborn-shm ] && exit 0; sleep 0.1; done; exit 1").status, 0);

    auto deleted = pactownctl({"delete", "stubborn", "--json"});

    ASSERT_EQ(deleted.status, 0) << deleted.err;
    EXPECT_EQ(json::parse(deleted.out), (json{{"success", true}, {"user_id", "stubborn"}}));
    EXPECT_EQ(runCommand({"pgrep", "-u", uid}).out, "");
    EXPECT_NE(::access("/tmp/stubborn-file", F_OK), 0);
    EXPECT_NE(::access("/dev/shm/stubborn-shm", F_OK), 0);
    EXPECT_EQ(runCommand({"getent", "passwd", user.at("linux_username").get<std::string>()}).status, 2);
    json next = createTenant("after-stubborn");
    EXPECT_NE(next.at("linux_uid"), user.at("linux_uid"));
    EXPECT_EQ(pactownctl({"delete", "stubborn"}).status, 0) << "deleting twice failed";
}

} // namespace
} // namespace pactown::testing
