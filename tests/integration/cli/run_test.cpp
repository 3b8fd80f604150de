// Runs through pactownctl and busctl against pactownd in the throwaway systemd: tenants,
// their account entries and homes, and runs with limits.
#include "../support/command.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>
#include <sys/stat.h>

namespace pactown::testing {
namespace {

using nlohmann::json;

class PactownctlRun : public ::testing::Test {
protected:
    void SetUp() override { requireSandbox(); }

    // Creates the tenant and returns its record as pactownctl prints it with --json.
    json createTenant(const std::string& saasUserId)
    {
        auto created = pactownctl({"user", "create", saasUserId, "--json"});
        EXPECT_EQ(created.status, 0) << created.err;
        return json::parse(created.out);
    }

    // Starts a run without waiting and returns its unit name.
    std::string startRun(const std::string& saasUserId, const std::vector<std::string>& options,
                         const std::string& command)
    {
        std::vector<std::string> arguments{"run", saasUserId, "--json"};
        arguments.insert(arguments.end(), options.begin(), options.end());
        arguments.insert(arguments.end(), {"--", command});
        auto started = pactownctl(arguments);
        EXPECT_EQ(started.status, 0) << started.err;
        return json::parse(started.out).at("unit_name").get<std::string>();
    }

    std::string unitProperty(const std::string& unit, const std::string& property)
    {
        return runCommand({"systemctl", "show", "--value", "-p", property, unit}).out;
    }
};

TEST_F(PactownctlRun, CreateIsIdempotent)
{
    json first = createTenant("auth0|idempotent");
    json second = createTenant("auth0|idempotent");

    EXPECT_EQ(first, second);
    EXPECT_EQ(first.at("saas_user_id"), "auth0|idempotent");
    EXPECT_TRUE(std::regex_match(first.at("linux_username").get<std::string>(), std::regex("pactown_[0-9a-f]{8}")));
    EXPECT_EQ(first.at("linux_uid"), first.at("linux_gid"));
    auto got = pactownctl({"user", "get", "auth0|idempotent", "--json"});
    ASSERT_EQ(got.status, 0) << got.err;
    EXPECT_EQ(json::parse(got.out), first);
}

TEST_F(PactownctlRun, AccountEntriesAreLockedNologin)
{
    json user = createTenant("user@example.com");
    std::string name = user.at("linux_username");
    std::string uid = std::to_string(user.at("linux_uid").get<unsigned>());

    auto passwd = runCommand({"getent", "passwd", name});
    ASSERT_EQ(passwd.status, 0);
    EXPECT_EQ(passwd.out, name + ":x:" + uid + ":" + uid + "::" + user.at("home_dir").get<std::string>() +
                              ":/usr/sbin/nologin\n");
    auto group = runCommand({"getent", "group", name});
    EXPECT_EQ(group.out, name + ":x:" + uid + ":\n");
    auto shadow = runCommand({"getent", "shadow", name});
    EXPECT_EQ(shadow.out.substr(0, name.size() + 4), name + ":!*:");
    EXPECT_EQ(readFile("/etc/passwd").find("example.com"), std::string::npos) << "the saas id leaked into /etc/passwd";
}

TEST_F(PactownctlRun, HomeIsPrivateToTenant)
{
    json user = createTenant("user:1");
    struct stat home {};
    ASSERT_EQ(::stat(user.at("home_dir").get<std::string>().c_str(), &home), 0);
    EXPECT_EQ(home.st_mode & 07777, 0700u);
    EXPECT_EQ(home.st_uid, user.at("linux_uid").get<uid_t>());
    EXPECT_EQ(home.st_gid, user.at("linux_gid").get<gid_t>());

    auto sandbox = pactownctl({"sandbox", "user:1", "my-api"});
    ASSERT_EQ(sandbox.status, 0) << sandbox.err;
    EXPECT_EQ(sandbox.out, user.at("home_dir").get<std::string>() + "/sandboxes/my-api\n");
}

TEST_F(PactownctlRun, ProcessHasTenantIdentityOnly)
{
    json user = createTenant("identity-check");
    auto run = pactownctl({"run", "identity-check", "--wait", "--pipe", "--", "id -u; id -g; id -G; echo $HOME $USER"});

    ASSERT_EQ(run.status, 0) << run.err;
    std::string uid = std::to_string(user.at("linux_uid").get<unsigned>());
    std::string gid = std::to_string(user.at("linux_gid").get<unsigned>());
    EXPECT_EQ(run.out, uid + "\n" + gid + "\n" + gid + "\n" + user.at("home_dir").get<std::string>() + " " +
                           user.at("linux_username").get<std::string>() + "\n");
}

TEST_F(PactownctlRun, EnvironmentHoldsOnlyCallerVariables)
{
    createTenant("environment-check");
    auto run = pactownctl({"run", "environment-check", "--env", "PORT=8001", "--wait", "--pipe", "--", "env | sort"});

    ASSERT_EQ(run.status, 0) << run.err;
    std::vector<std::string> names;
    std::istringstream lines(run.out);
    for (std::string line; std::getline(lines, line);)
        names.push_back(line.substr(0, line.find('=')));
    // systemd itself adds INVOCATION_ID and SYSTEMD_EXEC_PID, the shell PWD, SHLVL and _.
    for (const auto& name : names)
        EXPECT_TRUE(std::regex_match(name, std::regex("HOME|USER|LOGNAME|PATH|LANG|PORT|PWD|SHLVL|INVOCATION_ID|SYSTEMD_EXEC_PID|_")))
            << "unexpected variable " << name;
    EXPECT_NE(run.out.find("PORT=8001\n"), std::string::npos);
}

TEST_F(PactownctlRun, LimitsReachUnitAndCgroup)
{
    createTenant("limits-check");
    std::string unit = startRun("limits-check",
                                {"--memory-max", "64M", "--cpu-quota", "20%", "--tasks-max", "16", "--private-network"},
                                "sleep 300");

    EXPECT_EQ(unitProperty(unit, "MemoryMax"), "67108864\n");
    EXPECT_EQ(unitProperty(unit, "CPUQuotaPerSecUSec"), "200ms\n");
    EXPECT_EQ(unitProperty(unit, "TasksMax"), "16\n");
    EXPECT_EQ(unitProperty(unit, "PrivateNetwork"), "yes\n");
    EXPECT_EQ(unitProperty(unit, "User"), unitProperty(unit, "Group"));

    std::string cgroup = unitProperty(unit, "ControlGroup");
    cgroup.pop_back();
    EXPECT_NE(cgroup.find("pactown.slice/"), std::string::npos) << cgroup;
    EXPECT_EQ(readFile("/sys/fs/cgroup/memory" + cgroup + "/memory.limit_in_bytes"), "67108864\n");
    EXPECT_EQ(readFile("/sys/fs/cgroup/cpu" + cgroup + "/cpu.cfs_quota_us"), "20000\n");
    EXPECT_EQ(readFile("/sys/fs/cgroup/pids" + cgroup + "/pids.max"), "16\n");

    EXPECT_EQ(pactownctl({"stop", unit}).status, 0);
}

TEST_F(PactownctlRun, MemoryHogIsKilled)
{
    createTenant("memory-hog");
    // tail keeps the whole "line" of /dev/zero in memory, so it grows until the limit stops it.
    auto run = pactownctl({"run", "memory-hog", "--memory-max", "64M", "--wait", "--", "/usr/bin/tail", "/dev/zero"});

    EXPECT_EQ(run.status, 128 + 9);
    EXPECT_NE(run.out.find("result oom-kill"), std::string::npos) << run.out;
}

TEST_F(PactownctlRun, ForkLoopStopsAtTasksMax)
{
    createTenant("fork-loop");
    // Each background sleep is a task; with a limit of 8 the shell cannot start 40 of them.
    auto run = pactownctl({"run", "fork-loop", "--tasks-max", "8", "--wait", "--pipe", "--",
                           "n=0; for i in $(seq 40); do (sleep 2 &) 2>/dev/null && n=$((n+1)); done; "
                           "echo started $n; test $n -lt 40"});

    EXPECT_EQ(run.status, 0) << run.out << run.err;
    EXPECT_NE(run.out.find("started "), std::string::npos);
}

TEST_F(PactownctlRun, PrivateNetworkHasOnlyLoopback)
{
    createTenant("network-check");
    auto run = pactownctl({"run", "network-check", "--private-network", "--wait", "--pipe", "--",
                           "ip -o link | cut -d: -f2"});

    ASSERT_EQ(run.status, 0) << run.err;
    EXPECT_EQ(run.out, " lo\n");
}

TEST_F(PactownctlRun, TenantsShareNoTmpOrProcesses)
{
    createTenant("walls-alice");
    createTenant("walls-bob");
    std::string unit = startRun("walls-alice", {}, "echo secret > /tmp/alice; echo secret > /dev/shm/alice; sleep 300");
    ASSERT_EQ(runShell("for i in $(seq 100); do systemctl is-active -q " + unit + " && exit 0; sleep 0.1; done; exit 1").status, 0);

    auto look = pactownctl({"run", "walls-bob", "--wait", "--pipe", "--",
                            "ls -A /tmp /dev/shm; ps -e -o comm= | grep -c sleep || true"});

    ASSERT_EQ(look.status, 0) << look.err;
    EXPECT_EQ(look.out.find("alice"), std::string::npos) << "another tenant's files are visible: " << look.out;
    EXPECT_NE(look.out.find("\n0\n"), std::string::npos) << "another tenant's processes are visible: " << look.out;
    EXPECT_EQ(pactownctl({"stop", unit}).status, 0);
}

TEST_F(PactownctlRun, StopLeavesNoProcess)
{
    json user = createTenant("stop-check");
    std::string uid = std::to_string(user.at("linux_uid").get<unsigned>());
    std::string unit = startRun("stop-check", {}, "trap '' HUP TERM; sleep 1000 & sleep 1000 & wait");
    ASSERT_EQ(runShell("for i in $(seq 100); do [ $(pgrep -c -u " + uid + ") -ge 3 ] && exit 0; sleep 0.1; done; exit 1").status, 0)
        << "the run's processes did not appear";

    auto stopped = pactownctl({"stop", unit});

    EXPECT_EQ(stopped.status, 0) << stopped.err;
    EXPECT_EQ(runCommand({"pgrep", "-u", uid}).out, "");
}

TEST_F(PactownctlRun, MissingCommandFails)
{
    createTenant("missing-command");
    auto shell = pactownctl({"run", "missing-command", "--wait", "--", "/nonexistent/command"});
    EXPECT_NE(shell.status, 0);
    auto argv = pactownctl({"run", "missing-command", "--wait", "--", "/nonexistent/command", "argument"});
    EXPECT_NE(argv.status, 0);
}

TEST_F(PactownctlRun, ListsRunsOfTenant)
{
    createTenant("runs-list");
    std::string unit = startRun("runs-list", {}, "sleep 300");

    auto runs = pactownctl({"runs", "runs-list", "--json"});
    ASSERT_EQ(runs.status, 0) << runs.err;
    EXPECT_NE(runs.out.find(unit), std::string::npos);

    EXPECT_EQ(pactownctl({"stop", unit}).status, 0);
}

TEST_F(PactownctlRun, NonRootCallerIsRejected)
{
    auto call = runCommand({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "busctl", "call",
                            "com.pactown.Isolation1", "/com/pactown/Isolation1", "com.pactown.Isolation1.Manager",
                            "GetOrCreateUser", "s", "intruder"});
    EXPECT_NE(call.status, 0);
    EXPECT_NE(call.err.find("Access denied"), std::string::npos) << call.err;

    auto introspect = runCommand({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "busctl",
                                  "introspect", "com.pactown.Isolation1", "/com/pactown/Isolation1"});
    EXPECT_EQ(introspect.status, 0) << introspect.err;
    EXPECT_EQ(pactownctl({"user", "get", "intruder"}).status, 1);
}

} // namespace
} // namespace pactown::testing
