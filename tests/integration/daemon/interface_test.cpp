// The running pactownd against its introspection XML and its bus policy.
#include "../support/command.h"
#include "bus_client.h"
#include "tenant_fixture.h"
#include "introspection.h"

#include <cstdlib>
#include <gtest/gtest.h>

namespace pactown::testing {
namespace {

const std::string service = "com.pactown.Isolation1";
const std::string managerPath = "/com/pactown/Isolation1";
const std::vector<std::string> asNobody{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};

std::string sourceFile(const std::string& relative)
{
    const char* sourceDir = std::getenv("PACTOWN_SOURCE_DIR");
    return readFile(std::string(sourceDir ? sourceDir : ".") + "/" + relative);
}

CommandResult runAsNobody(std::vector<std::string> argv)
{
    argv.insert(argv.begin(), asNobody.begin(), asNobody.end());
    return runCommand(argv);
}

class DaemonInterface : public DaemonTenantTest {};

TEST_F(DaemonInterface, ManagerIntrospectionMatchesXml)
{
    const auto expected = normalizeIntrospection(sourceFile("dbus/com.pactown.Isolation1.Manager.xml"), service);
    auto live = runCommand({"busctl", "introspect", "--xml-interface", service, managerPath});
    ASSERT_EQ(live.status, 0) << live.err;

    ASSERT_FALSE(expected.empty()) << "dbus/com.pactown.Isolation1.Manager.xml not found; PACTOWN_SOURCE_DIR unset?";
    EXPECT_EQ(normalizeIntrospection(live.out, service), expected);
}

TEST_F(DaemonInterface, UserIntrospectionMatchesXml)
{
    const auto path = createTenant("daemon-test|introspect");
    const auto expected = normalizeIntrospection(sourceFile("dbus/com.pactown.Isolation1.User.xml"), service);
    auto live = runCommand({"busctl", "introspect", "--xml-interface", service, path});
    ASSERT_EQ(live.status, 0) << live.err;

    ASSERT_FALSE(expected.empty()) << "dbus/com.pactown.Isolation1.User.xml not found; PACTOWN_SOURCE_DIR unset?";
    EXPECT_EQ(normalizeIntrospection(live.out, service), expected);
}

TEST_F(DaemonInterface, UserPathEncodesLinuxName)
{
    const std::string saasUserId = "daemon-test|path";
    const auto path = createTenant(saasUserId);
    auto name = runCommand({"busctl", "get-property", service, path, "com.pactown.Isolation1.User", "LinuxUsername"});
    ASSERT_EQ(name.status, 0) << name.err;

    // busctl prints 's "pactown_0123abcd"'; sd_bus_path_encode() writes '_' as "_5f".
    const std::string linuxName = name.out.substr(3, name.out.size() - 5);
    std::string encoded = linuxName;
    encoded.replace(encoded.find('_'), 1, "_5f");
    EXPECT_EQ(std::string(path), managerPath + "/user/" + encoded);
    EXPECT_EQ(std::string(path).find("daemon"), std::string::npos);
}

TEST_F(DaemonInterface, NonRootCannotCallManagerMethods)
{
    const std::vector<std::vector<std::string>> calls{
        {"GetOrCreateUser", "s", "intruder"},
        {"GetUser", "s", "intruder"},
        {"ListUsers"},
        {"GetSandboxPath", "ss", "intruder", "api"},
        {"RunAsUser", "sa{sv}", "intruder", "1", "command", "s", "true"},
        {"WaitRun", "s", "pactown-run-x.service"},
        {"StopRun", "s", "pactown-run-x.service"},
        {"ListRuns", "s", ""},
        {"GetUserStats", "s", "intruder"},
        {"DeleteUser", "sb", "intruder", "true"},
        {"Doctor", "b", "false"},
    };
    for (const auto& call : calls) {
        SCOPED_TRACE(call.front());
        std::vector<std::string> argv{"busctl", "call", service, managerPath, "com.pactown.Isolation1.Manager"};
        argv.insert(argv.end(), call.begin(), call.end());
        auto result = runAsNobody(argv);
        EXPECT_NE(result.status, 0);
        EXPECT_NE(result.err.find("Access denied"), std::string::npos) << result.err;
    }
    EXPECT_EQ(dbusErrorOf([&] { manager_->GetUser("intruder"); }), "com.pactown.Isolation1.Error.NoSuchUser");
}

TEST_F(DaemonInterface, NonRootCanIntrospectAndReadProperties)
{
    const auto path = createTenant("daemon-test|reader");

    EXPECT_EQ(runAsNobody({"busctl", "introspect", service, managerPath}).status, 0);
    auto introspected = runAsNobody({"busctl", "introspect", service, path});
    EXPECT_EQ(introspected.status, 0) << introspected.err;
    auto name = runAsNobody({"busctl", "get-property", service, path, "com.pactown.Isolation1.User", "LinuxUsername"});
    EXPECT_EQ(name.status, 0) << name.err;
    EXPECT_EQ(name.out.rfind("s \"pactown_", 0), 0u) << name.out;
}

TEST_F(DaemonInterface, SaasUserIdHiddenFromNonRoot)
{
    const std::string saasUserId = "daemon-test|secret";
    const auto path = createTenant(saasUserId);

    auto denied = runAsNobody({"busctl", "get-property", service, path, "com.pactown.Isolation1.User", "SaasUserId"});
    EXPECT_NE(denied.status, 0);
    EXPECT_NE(denied.err.find("root only"), std::string::npos) << denied.err;

    auto all = runAsNobody({"busctl", "call", service, path, "org.freedesktop.DBus.Properties", "GetAll", "s",
                            "com.pactown.Isolation1.User"});
    EXPECT_EQ(all.status, 0) << all.err;
    EXPECT_NE(all.out.find("\"SaasUserId\" s \"\""), std::string::npos) << all.out;
    EXPECT_EQ(all.out.find(saasUserId), std::string::npos) << all.out;

    auto asRoot = runCommand({"busctl", "get-property", service, path, "com.pactown.Isolation1.User", "SaasUserId"});
    EXPECT_EQ(asRoot.out, "s \"" + saasUserId + "\"\n");
}

} // namespace
} // namespace pactown::testing
