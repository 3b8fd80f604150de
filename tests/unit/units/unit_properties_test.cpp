#include "units/unit_properties.h"

#include <pactown/errors.h>

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace pactown {
namespace {

TransientService sampleService()
{
    TransientService service;
    service.unitName = "pactown-run-pactown_1a2b3c4d-0123456789abcdef.service";
    service.description = "pactown run of pactown_1a2b3c4d";
    service.slice = "pactown-pactown_1a2b3c4d.slice";
    service.uid = 65600;
    service.gid = 65600;
    service.workingDirectory = "/home/pactown_users/pactown_1a2b3c4d";
    service.argv = {"/bin/sh", "-c", "true"};
    service.environment = {{"HOME", "/home/pactown_users/pactown_1a2b3c4d"}, {"LANG", "C.UTF-8"}};
    service.limits.cpuQuotaPercent = 20;
    service.limits.memoryMaxBytes = 64 << 20;
    service.limits.tasksMax = 32;
    service.limits.privateNetwork = true;
    return service;
}

const sdbus::Variant* find(const UnitProperties& properties, const std::string& name)
{
    for (const auto& property : properties) {
        if (property.get<0>() == name)
            return &property.get<1>();
    }
    return nullptr;
}

TEST(TransientProperties, HaveSystemdTypes)
{
    UnitProperties properties = makeTransientProperties(sampleService(), {});

    const std::map<std::string, std::string> expected = {
        {"Type", "s"}, {"ExecStart", "a(sasb)"}, {"User", "s"}, {"Group", "s"}, {"SupplementaryGroups", "as"},
        {"WorkingDirectory", "s"}, {"Environment", "as"}, {"CPUQuotaPerSecUSec", "t"}, {"MemoryMax", "t"},
        {"TasksMax", "t"}, {"PrivateNetwork", "b"}, {"Slice", "s"}, {"Description", "s"}, {"KillMode", "s"},
        {"CollectMode", "s"}, {"AddRef", "b"}, {"StandardOutput", "s"},
    };
    for (const auto& [name, signature] : expected) {
        const sdbus::Variant* value = find(properties, name);
        ASSERT_NE(value, nullptr) << name;
        EXPECT_EQ(value->peekValueType(), signature) << name;
    }
}

TEST(TransientProperties, CarryValues)
{
    UnitProperties properties = makeTransientProperties(sampleService(), {});

    EXPECT_EQ(find(properties, "User")->get<std::string>(), "65600");
    EXPECT_EQ(find(properties, "CPUQuotaPerSecUSec")->get<uint64_t>(), 200000u);
    EXPECT_EQ(find(properties, "MemoryMax")->get<uint64_t>(), 64u << 20);
    EXPECT_EQ(find(properties, "TasksMax")->get<uint64_t>(), 32u);
    EXPECT_TRUE(find(properties, "PrivateNetwork")->get<bool>());
    EXPECT_EQ(find(properties, "KillMode")->get<std::string>(), "control-group");
    EXPECT_EQ(find(properties, "CollectMode")->get<std::string>(), "inactive-or-failed");
    EXPECT_TRUE(find(properties, "SupplementaryGroups")->get<std::vector<std::string>>().empty());
    EXPECT_EQ(find(properties, "Environment")->get<std::vector<std::string>>(),
              (std::vector<std::string>{"HOME=/home/pactown_users/pactown_1a2b3c4d", "LANG=C.UTF-8"}));
}

TEST(TransientProperties, UnsetManagerVariablesNotGiven)
{
    UnitProperties properties = makeTransientProperties(sampleService(), {"LANG=C", "SECRET=1", "DISPLAY=:0"});

    EXPECT_EQ(find(properties, "UnsetEnvironment")->get<std::vector<std::string>>(),
              (std::vector<std::string>{"SECRET", "DISPLAY"}));
}

TEST(TransientProperties, LeaveOutIdentityForUserManager)
{
    TransientService service = sampleService();
    service.uid.reset();
    service.gid.reset();

    UnitProperties properties = makeTransientProperties(service, {});

    EXPECT_EQ(find(properties, "User"), nullptr);
    EXPECT_EQ(find(properties, "Group"), nullptr);
}

TEST(TransientProperties, SetNoTaskLimitExplicitly)
{
    TransientService service = sampleService();
    service.limits = {};

    UnitProperties properties = makeTransientProperties(service, {});

    EXPECT_EQ(find(properties, "TasksMax")->get<uint64_t>(), UINT64_MAX);
    EXPECT_EQ(find(properties, "MemoryMax"), nullptr);
    EXPECT_EQ(find(properties, "CPUQuotaPerSecUSec"), nullptr);
}

TEST(TransientProperties, PassDescriptorsAsUnixFds)
{
    int fds[2];
    ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
    TransientService service = sampleService();
    service.stdoutFd = fds[1];
    service.stderrFd = fds[1];

    UnitProperties properties = makeTransientProperties(service, {});
    close(fds[0]);
    close(fds[1]);

    ASSERT_NE(find(properties, "StandardOutputFileDescriptor"), nullptr);
    EXPECT_EQ(find(properties, "StandardOutputFileDescriptor")->peekValueType(), "h");
    EXPECT_EQ(find(properties, "StandardErrorFileDescriptor")->peekValueType(), "h");
    EXPECT_EQ(find(properties, "StandardOutput")->get<std::string>(), "null");
}

TEST(TransientProperties, EscapeDollarSignsOfArguments)
{
    TransientService service = sampleService();
    service.argv = {"/bin/sh", "-c", "echo $HOME ${X} $$"};

    using ExecCommand = sdbus::Struct<std::string, std::vector<std::string>, bool>;
    auto commands = find(makeTransientProperties(service, {}), "ExecStart")->get<std::vector<ExecCommand>>();

    ASSERT_EQ(commands.size(), 1u);
    EXPECT_EQ(commands[0].get<0>(), "/bin/sh");
    EXPECT_EQ(commands[0].get<1>(), (std::vector<std::string>{"/bin/sh", "-c", "echo $$HOME $${X} $$$$"}));
    EXPECT_FALSE(commands[0].get<2>());
}

TEST(TransientProperties, RejectRelativeCommand)
{
    TransientService service = sampleService();
    service.argv = {"sh", "-c", "true"};

    EXPECT_THROW(makeTransientProperties(service, {}), InvalidArgumentError);
}

TEST(TransientProperties, RejectEnvironmentNameWithEquals)
{
    TransientService service = sampleService();
    service.environment["A=B"] = "c";

    EXPECT_THROW(makeTransientProperties(service, {}), InvalidArgumentError);
}

} // namespace
} // namespace pactown
