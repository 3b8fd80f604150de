#include <pactown/config.h>

#include <pactown/errors.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace pactown {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class LoadConfigTest : public ::testing::Test {
protected:
    LoadConfigTest()
    {
        std::string pattern = (std::filesystem::temp_directory_path() / "pactown-config-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr)
            throw std::runtime_error("mkdtemp failed for '" + pattern + "'");
        directory_ = pattern;
        mainFile_ = directory_ / "isolation.conf";
        dropInDirectory_ = directory_ / "isolation.conf.d";
    }
    ~LoadConfigTest() override { std::filesystem::remove_all(directory_); }

    void write(const std::filesystem::path& file, const std::string& content)
    {
        std::filesystem::create_directories(file.parent_path());
        std::ofstream(file) << content;
    }

    // Returns the message of the ConfigError that loading throws, or a note that none came.
    std::string loadError()
    {
        try {
            loadConfig(mainFile_);
        } catch (const ConfigError& error) {
            return error.what();
        }
        return "(no error)";
    }

    std::filesystem::path directory_;
    std::filesystem::path mainFile_;
    std::filesystem::path dropInDirectory_;
};

TEST_F(LoadConfigTest, MissingFileGivesDefaults)
{
    Config config = loadConfig(mainFile_);

    EXPECT_EQ(config.usersBase, "/home/pactown_users");
    EXPECT_EQ(config.accountRoot, "/");
    EXPECT_EQ(config.stateDirectory, "/var/lib/pactown");
    EXPECT_EQ(config.uidMin, 65536u);
    EXPECT_EQ(config.uidMax, 99999u);
    EXPECT_EQ(config.defaultLimits.cpuQuotaPercent, 100u);
    EXPECT_EQ(config.defaultLimits.memoryMaxBytes, 512u << 20);
    EXPECT_EQ(config.defaultLimits.tasksMax, 256u);
    EXPECT_FALSE(config.defaultLimits.privateNetwork);
    EXPECT_FALSE(config.virtualAccounts);
    EXPECT_EQ(config.parentSlice, "pactown.slice");
}

TEST_F(LoadConfigTest, ReadsEveryKey)
{
    write(mainFile_, "# pactown isolation settings\n"
                     "; a comment of the other kind\n"
                     "\n"
                     "[Isolation]\n"
                     "UsersBase=/srv/tenants/\n"
                     "AccountRoot=/srv/root\n"
                     "StateDirectory = /srv/state//pactown\n"
                     "  UIDMin=70000  \n"
                     "UIDMax=79999\n"
                     "CPUQuota=150%\n"
                     "MemoryMax=1.5G\n"
                     "TasksMax=64\n"
                     "PrivateNetwork=yes\n"
                     "VirtualAccounts=on\n"
                     "ParentSlice=tenants.slice\n");

    Config config = loadConfig(mainFile_);

    EXPECT_EQ(config.usersBase, "/srv/tenants");
    EXPECT_EQ(config.accountRoot, "/srv/root");
    EXPECT_EQ(config.stateDirectory, "/srv/state/pactown");
    EXPECT_EQ(config.uidMin, 70000u);
    EXPECT_EQ(config.uidMax, 79999u);
    EXPECT_EQ(config.defaultLimits.cpuQuotaPercent, 150u);
    EXPECT_EQ(config.defaultLimits.memoryMaxBytes, 3ull << 29);
    EXPECT_EQ(config.defaultLimits.tasksMax, 64u);
    EXPECT_TRUE(config.defaultLimits.privateNetwork);
    EXPECT_TRUE(config.virtualAccounts);
    EXPECT_EQ(config.parentSlice, "tenants.slice");
}

TEST_F(LoadConfigTest, InfinityRemovesLimits)
{
    write(mainFile_, "[Isolation]\nCPUQuota=infinity\nMemoryMax=infinity\nTasksMax=infinity\n");

    Config config = loadConfig(mainFile_);

    EXPECT_EQ(config.defaultLimits.cpuQuotaPercent, std::nullopt);
    EXPECT_EQ(config.defaultLimits.memoryMaxBytes, std::nullopt);
    EXPECT_EQ(config.defaultLimits.tasksMax, std::nullopt);
}

TEST_F(LoadConfigTest, EmptyValueResetsToDefault)
{
    Config defaults;
    defaults.usersBase = "/srv/default";
    defaults.uidMin = 70000;
    defaults.virtualAccounts = true;
    write(mainFile_, "[Isolation]\nUsersBase=/srv/other\nUIDMin=80000\nVirtualAccounts=no\n");
    write(dropInDirectory_ / "reset.conf", "[Isolation]\nUsersBase=\nUIDMin=\nVirtualAccounts=\nCPUQuota=\n");

    Config config = loadConfig(mainFile_, defaults);

    EXPECT_EQ(config.usersBase, "/srv/default");
    EXPECT_EQ(config.uidMin, 70000u);
    EXPECT_TRUE(config.virtualAccounts);
    EXPECT_EQ(config.defaultLimits.cpuQuotaPercent, std::nullopt);
}

TEST_F(LoadConfigTest, LaterAssignmentWins)
{
    write(mainFile_, "[Isolation]\nTasksMax=10\nTasksMax=20\n[Isolation]\nTasksMax=30\n");

    EXPECT_EQ(loadConfig(mainFile_).defaultLimits.tasksMax, 30u);
}

TEST_F(LoadConfigTest, DropInsApplyInLexicalOrder)
{
    write(mainFile_, "[Isolation]\nTasksMax=10\nMemoryMax=1G\n");
    write(dropInDirectory_ / "20-second.conf", "[Isolation]\nTasksMax=20\nCPUQuota=50%\n");
    write(dropInDirectory_ / "10-first.conf", "[Isolation]\nTasksMax=15\nCPUQuota=40%\nMemoryMax=2G\n");
    write(dropInDirectory_ / "30-ignored.txt", "[Isolation]\nTasksMax=99\n");
    write(dropInDirectory_ / "40-no-section.conf.disabled", "TasksMax=98\n");

    Config config = loadConfig(mainFile_);

    EXPECT_EQ(config.defaultLimits.tasksMax, 20u);
    EXPECT_EQ(config.defaultLimits.cpuQuotaPercent, 50u);
    EXPECT_EQ(config.defaultLimits.memoryMaxBytes, 2ull << 30);
}

TEST_F(LoadConfigTest, DropInsApplyWithoutMainFile)
{
    write(dropInDirectory_ / "limits.conf", "[Isolation]\nTasksMax=42\n");

    EXPECT_EQ(loadConfig(mainFile_).defaultLimits.tasksMax, 42u);
}

TEST_F(LoadConfigTest, SymlinkToDevNullMasksDropIn)
{
    write(dropInDirectory_ / "limits.conf", "[Isolation]\nTasksMax=42\n");
    std::filesystem::remove(dropInDirectory_ / "limits.conf");
    std::filesystem::create_symlink("/dev/null", dropInDirectory_ / "limits.conf");

    EXPECT_EQ(loadConfig(mainFile_).defaultLimits.tasksMax, 256u);
}

TEST_F(LoadConfigTest, InvalidValueNamesFileLineAndKey)
{
    write(mainFile_, "[Isolation]\nTasksMax=10\n");
    write(dropInDirectory_ / "50-memory.conf", "# too big\n[Isolation]\n\nMemoryMax=12Q\n");

    EXPECT_EQ(loadError(), (dropInDirectory_ / "50-memory.conf").string() +
                               ":4: invalid value '12Q' for key 'MemoryMax': unknown suffix 'Q'; use B, K, M, G, T, "
                               "P or E (powers of 1024)");
}

TEST_F(LoadConfigTest, EachKeyRejectsBadValues)
{
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"UsersBase", "relative/path"}, {"AccountRoot", "root"},     {"StateDirectory", "state"},
        {"UIDMin", "-5"},               {"UIDMax", "65535"},         {"CPUQuota", "20"},
        {"MemoryMax", "0"},             {"TasksMax", "many"},        {"PrivateNetwork", "maybe"},
        {"VirtualAccounts", "2"},       {"ParentSlice", "pactown"},
    };
    for (const auto& [key, value] : cases) {
        write(mainFile_, "[Isolation]\n" + key + "=" + value + "\n");

        EXPECT_THAT(loadError(), StartsWith(mainFile_.string() + ":2: invalid value '" + value + "' for key '" +
                                            key + "': "));
    }
}

TEST_F(LoadConfigTest, RejectsUnknownKey)
{
    write(mainFile_, "[Isolation]\nMemoryLimit=1G\n");

    EXPECT_EQ(loadError(), mainFile_.string() + ":2: unknown key 'MemoryLimit' in section [Isolation]");
}

TEST_F(LoadConfigTest, RejectsUnknownSection)
{
    write(mainFile_, "[Isolation]\nTasksMax=5\n[Service]\nMemoryMax=1G\n");

    EXPECT_EQ(loadError(), mainFile_.string() + ":3: unknown section '[Service]'; expected '[Isolation]'");
}

TEST_F(LoadConfigTest, RejectsMalformedLines)
{
    write(mainFile_, "[Isolation\n");
    EXPECT_EQ(loadError(), mainFile_.string() + ":1: invalid section header '[Isolation'");

    write(mainFile_, "[Isolation]\nTasksMax 5\n");
    EXPECT_EQ(loadError(), mainFile_.string() + ":2: expected 'Key=value', got 'TasksMax 5'");

    write(mainFile_, "TasksMax=5\n");
    EXPECT_EQ(loadError(), mainFile_.string() + ":1: assignment 'TasksMax=5' outside of the [Isolation] section");
}

TEST_F(LoadConfigTest, DropInNeedsItsOwnSectionHeader)
{
    write(mainFile_, "[Isolation]\n");
    write(dropInDirectory_ / "limits.conf", "TasksMax=5\n");

    EXPECT_THAT(loadError(), StartsWith((dropInDirectory_ / "limits.conf").string() + ":1: assignment"));
}

TEST_F(LoadConfigTest, RejectsDirectoryAsMainFile)
{
    std::filesystem::create_directories(mainFile_);

    EXPECT_EQ(loadError(), mainFile_.string() + ": not a regular file");
}

TEST_F(LoadConfigTest, BrokenRuleNamesLastAssignment)
{
    write(mainFile_, "[Isolation]\nUIDMin=70000\nUIDMax=80000\n");
    write(dropInDirectory_ / "range.conf", "[Isolation]\n\nUIDMin=90000\n");

    EXPECT_EQ(loadError(), (dropInDirectory_ / "range.conf").string() +
                               ":3: invalid value '90000' for key 'UIDMin': UIDMin=90000 is above UIDMax=80000");
}

TEST_F(LoadConfigTest, ReservedRangeNamesTheKeyInside)
{
    write(mainFile_, "[Isolation]\nUIDMin=60000\nUIDMax=60100\n");

    EXPECT_EQ(loadError(), mainFile_.string() +
                               ":3: invalid value '60100' for key 'UIDMax': the UID range 60000-60100 overlaps "
                               "60001-60577, reserved for systemd-homed users and host users mapped into "
                               "systemd-nspawn containers");
}

TEST_F(LoadConfigTest, BrokenRuleOnDefaultNamesMainFile)
{
    Config defaults;
    defaults.uidMin = 1000;
    defaults.uidMax = 500;

    try {
        loadConfig(mainFile_, defaults);
        FAIL() << "an empty UID range was accepted";
    } catch (const ConfigError& error) {
        EXPECT_EQ(std::string(error.what()), mainFile_.string() +
                                                 ": invalid default value '1000' for key 'UIDMin': UIDMin=1000 is "
                                                 "above UIDMax=500");
    }
}

TEST_F(LoadConfigTest, InvalidSliceNamesItsLine)
{
    write(mainFile_, "[Isolation]\nParentSlice=-bad.slice\n");

    EXPECT_EQ(loadError(), mainFile_.string() +
                               ":2: invalid value '-bad.slice' for key 'ParentSlice': a slice name has no leading, "
                               "trailing or doubled '-'");
}

class ValidateConfigTest : public ::testing::Test {
protected:
    // Returns the message of the ConfigError that validation throws, or an empty string.
    static std::string validationError(const Config& config)
    {
        try {
            validateConfig(config);
        } catch (const ConfigError& error) {
            return error.what();
        }
        return {};
    }
};

TEST_F(ValidateConfigTest, AcceptsDefaults)
{
    EXPECT_NO_THROW(validateConfig(Config{}));
}

TEST_F(ValidateConfigTest, AcceptsFreeRanges)
{
    const std::vector<std::pair<uid_t, uid_t>> ranges = {
        {1000, 60000}, {60578, 61183}, {65520, 65533}, {65536, 524287}, {1879048192, 2147483647}, {70000, 70000},
    };
    for (const auto& [first, last] : ranges) {
        Config config;
        config.uidMin = first;
        config.uidMax = last;
        EXPECT_EQ(validationError(config), "") << first << "-" << last;
    }
}

TEST_F(ValidateConfigTest, RejectsReservedRanges)
{
    const std::vector<std::pair<uid_t, uid_t>> ranges = {
        {0, 5000},          {999, 2000},          {500, 1000},          {60001, 60001}, {60577, 60600},
        {59000, 61000},     {61184, 61184},       {65000, 65600},       {65534, 65534}, {65535, 70000},
        {100000, 600000},   {1879048191, 1879048191}, {2147483648u, 2147483650u}, {1000, 4294967294u},
    };
    for (const auto& [first, last] : ranges) {
        Config config;
        config.uidMin = first;
        config.uidMax = last;
        EXPECT_THAT(validationError(config), HasSubstr("reserved for")) << first << "-" << last;
    }
}

TEST_F(ValidateConfigTest, RejectsEmptyRange)
{
    Config config;
    config.uidMin = 80000;
    config.uidMax = 79999;

    EXPECT_EQ(validationError(config), "invalid value '80000' for key 'UIDMin': UIDMin=80000 is above UIDMax=79999");
}

TEST_F(ValidateConfigTest, RejectsUsersBaseInSystemTrees)
{
    for (std::string base : {"/", "/etc", "/etc/pactown", "/proc/self", "/sys/fs", "/dev/shm/tenants", "/usr",
                             "/usr/local/tenants", "/boot/x"}) {
        Config config;
        config.usersBase = base;
        EXPECT_THAT(validationError(config), StartsWith("invalid value '" + base + "' for key 'UsersBase': "))
            << base;
    }
}

TEST_F(ValidateConfigTest, AcceptsUsersBaseBesideSystemTrees)
{
    for (std::string base : {"/etcetera", "/srv/etc", "/home/pactown_users", "/usrdata"}) {
        Config config;
        config.usersBase = base;
        EXPECT_EQ(validationError(config), "") << base;
    }
}

TEST_F(ValidateConfigTest, RejectsRelativePaths)
{
    Config usersBase;
    usersBase.usersBase = "tenants";
    Config accountRoot;
    accountRoot.accountRoot = "root";
    Config stateDirectory;
    stateDirectory.stateDirectory = "";

    EXPECT_EQ(validationError(usersBase), "invalid value 'tenants' for key 'UsersBase': expected an absolute path");
    EXPECT_EQ(validationError(accountRoot), "invalid value 'root' for key 'AccountRoot': expected an absolute path");
    EXPECT_EQ(validationError(stateDirectory), "invalid value '' for key 'StateDirectory': expected an absolute path");
}

TEST_F(ValidateConfigTest, ChecksSliceNames)
{
    for (std::string name : {"pactown.slice", "tenants-pactown.slice", "a:b_c.slice"}) {
        Config config;
        config.parentSlice = name;
        EXPECT_EQ(validationError(config), "") << name;
    }
    for (std::string name : std::vector<std::string>{"pactown", ".slice", "pactown.service", "a--b.slice", "a-.slice", "bad/name.slice",
                             "with space.slice", std::string(250, 'a') + ".slice"}) {
        Config config;
        config.parentSlice = name;
        EXPECT_THAT(validationError(config), HasSubstr("for key 'ParentSlice'")) << name;
    }
}

TEST_F(ValidateConfigTest, RejectsZeroLimits)
{
    Config cpu;
    cpu.defaultLimits.cpuQuotaPercent = 0;
    Config memory;
    memory.defaultLimits.memoryMaxBytes = 0;
    Config tasks;
    tasks.defaultLimits.tasksMax = 0;

    EXPECT_EQ(validationError(cpu), "invalid value '0%' for key 'CPUQuota': quota must be greater than 0%");
    EXPECT_EQ(validationError(memory), "invalid value '0' for key 'MemoryMax': size must be greater than 0");
    EXPECT_EQ(validationError(tasks), "invalid value '0' for key 'TasksMax': limit must be greater than 0");
}

} // namespace
} // namespace pactown
