// The decoding at the edges of pactownd and pactownctl, which needs no bus.
#include "cli-options.h"
#include "errors.h"
#include "run-options.h"

#include <pactown/errors.h>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

namespace pactown {
namespace {

using Options = std::map<std::string, sdbus::Variant>;

TEST(RunOptionDecoding, ShellStringAndLimits)
{
    const auto decoded = decodeRunOptions({
        {"command", sdbus::Variant(std::string("echo hi"))},
        {"service", sdbus::Variant(std::string("api"))},
        {"environment", sdbus::Variant(std::map<std::string, std::string>{{"PORT", "8001"}})},
        {"cpu_quota_percent", sdbus::Variant(uint32_t{20})},
        {"memory_max", sdbus::Variant(uint64_t{64} << 20)},
        {"tasks_max", sdbus::Variant(uint64_t{16})},
        {"private_network", sdbus::Variant(true)},
    });
    EXPECT_EQ(std::get<std::string>(decoded.request.command), "echo hi");
    EXPECT_EQ(decoded.request.serviceId, "api");
    EXPECT_EQ(decoded.request.environment.at("PORT"), "8001");
    EXPECT_EQ(decoded.request.limits.cpuQuotaPercent, 20u);
    EXPECT_EQ(decoded.request.limits.memoryMaxBytes, uint64_t{64} << 20);
    EXPECT_EQ(decoded.request.limits.tasksMax, 16u);
    EXPECT_EQ(decoded.request.limits.privateNetwork, true);
    EXPECT_EQ(decoded.request.stdinFd, -1);
}

TEST(RunOptionDecoding, ArgvAndDescriptors)
{
    const int devNull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    ASSERT_GE(devNull, 0);
    const auto decoded = decodeRunOptions({
        {"argv", sdbus::Variant(std::vector<std::string>{"/bin/echo", "a b"})},
        {"stdout", sdbus::Variant(sdbus::UnixFd(devNull))},
    });
    ::close(devNull);
    EXPECT_EQ(std::get<std::vector<std::string>>(decoded.request.command),
              (std::vector<std::string>{"/bin/echo", "a b"}));
    ASSERT_TRUE(decoded.stdoutFd.has_value());
    EXPECT_EQ(decoded.request.stdoutFd, decoded.stdoutFd->get());
    EXPECT_GE(::fcntl(decoded.request.stdoutFd, F_GETFD), 0) << "the decoded descriptor is not open";
}

TEST(RunOptionDecoding, BadOptionsNameTheKey)
{
    const std::vector<std::pair<Options, std::string>> cases{
        {{{"command", sdbus::Variant(std::string("true"))}, {"bogus", sdbus::Variant(true)}}, "'bogus'"},
        {{{"command", sdbus::Variant(std::string("true"))}, {"memory_max", sdbus::Variant(std::string("1"))}},
         "'memory_max' has type 's'"},
        {{{"command", sdbus::Variant(uint32_t{1})}}, "'command' has type 'u'"},
        {{}, "'command'"},
        {{{"command", sdbus::Variant(std::string("true"))},
          {"argv", sdbus::Variant(std::vector<std::string>{"true"})}},
         "exclude each other"},
        {{{"command", sdbus::Variant(std::string("true"))}, {"service", sdbus::Variant(std::string())}},
         "'service' is empty"},
    };
    for (const auto& [options, expected] : cases) {
        SCOPED_TRACE(expected);
        try {
            decodeRunOptions(options);
            ADD_FAILURE() << "no error";
        } catch (const InvalidArgumentError& e) {
            EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
        }
    }
}

sdbus::Error mapped(std::exception_ptr error)
{
    return toDbusError(std::move(error), "Test");
}

TEST(DbusErrorMapping, LibraryErrorsKeepNameAndMessage)
{
    auto error = mapped(std::make_exception_ptr(NoSuchUserError("saas user id 'x' has no tenant")));
    EXPECT_EQ(error.getName(), "com.pactown.Isolation1.Error.NoSuchUser");
    EXPECT_EQ(error.getMessage(), "saas user id 'x' has no tenant");
    EXPECT_EQ(mapped(std::make_exception_ptr(SystemError("disk"))).getName(), "com.pactown.Isolation1.Error.Failed");
    EXPECT_EQ(mapped(std::make_exception_ptr(UidRangeExhaustedError("full"))).getName(),
              "com.pactown.Isolation1.Error.UidRangeExhausted");
}

TEST(DbusErrorMapping, OtherExceptionsBecomeFailed)
{
    auto error = mapped(std::make_exception_ptr(std::out_of_range("map::at")));
    EXPECT_EQ(error.getName(), "com.pactown.Isolation1.Error.Failed");
    EXPECT_EQ(error.getMessage(), "map::at");
    EXPECT_EQ(mapped(std::make_exception_ptr(42)).getName(), "com.pactown.Isolation1.Error.Failed");
    auto passed = mapped(std::make_exception_ptr(sdbus::Error("org.example.Error", "kept")));
    EXPECT_EQ(passed.getName(), "org.example.Error");
}

TEST(PactownctlArguments, RunWithOptionsAndArgv)
{
    const auto line = parseCommandLine({"run", "auth0|1", "--service", "api", "--env", "A=b=c", "--cpu-quota", "20%",
                                        "--memory-max=64M", "--tasks-max", "8", "--private-network", "--pipe",
                                        "--", "/bin/echo", "--json"});
    EXPECT_EQ(line.command, "run");
    EXPECT_EQ(line.arguments, (std::vector<std::string>{"auth0|1"}));
    EXPECT_EQ(line.run.serviceId, "api");
    EXPECT_EQ(line.run.environment.at("A"), "b=c");
    EXPECT_EQ(line.run.cpuQuotaPercent, 20u);
    EXPECT_EQ(line.run.memoryMaxBytes, uint64_t{64} << 20);
    EXPECT_EQ(line.run.tasksMax, 8u);
    EXPECT_TRUE(line.run.privateNetwork);
    EXPECT_TRUE(line.run.wait) << "--pipe implies --wait";
    EXPECT_FALSE(line.json) << "--json after -- belongs to the command";
    EXPECT_EQ(line.run.command, (std::vector<std::string>{"/bin/echo", "--json"}));
}

TEST(PactownctlArguments, UsageErrors)
{
    const std::vector<std::vector<std::string>> cases{
        {},
        {"frobnicate"},
        {"users", "extra"},
        {"user", "remove", "x"},
        {"run", "x"},
        {"run", "x", "--env", "NOEQUALS", "--", "true"},
        {"run", "x", "--cpu-quota", "20", "--", "true"},
        {"run", "x", "--memory-max", "lots", "--", "true"},
        {"run", "x", "--tasks-max", "0", "--", "true"},
        {"run", "x", "--memory-max", "infinity", "--", "true"},
        {"run", "x", "--service"},
        {"delete", "x", "--wait"},
        {"users", "--delete-home"},
        {"stats", "x", "--", "true"},
    };
    for (const auto& arguments : cases) {
        std::string joined;
        for (const auto& argument : arguments)
            joined += argument + " ";
        SCOPED_TRACE(joined);
        EXPECT_THROW(parseCommandLine(arguments), UsageError);
    }
}

TEST(PactownctlArguments, EmptyAndDashArgumentsArePositional)
{
    EXPECT_EQ(parseCommandLine({"user", "get", ""}).arguments, (std::vector<std::string>{"get", ""}));
    EXPECT_EQ(parseCommandLine({"export", "x", "-"}).arguments, (std::vector<std::string>{"x", "-"}));
    EXPECT_TRUE(parseCommandLine({"--help"}).help);
}

} // namespace
} // namespace pactown
