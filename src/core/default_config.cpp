#include <pactown/config.h>

#include <cstdlib>
#include <pwd.h>
#include <unistd.h>

namespace pactown {
namespace {

std::filesystem::path homeOfCaller()
{
    if (const char* home = std::getenv("HOME"); home && *home == '/')
        return home;
    if (const passwd* entry = ::getpwuid(::getuid()); entry && entry->pw_dir)
        return entry->pw_dir;
    return "/";
}

std::filesystem::path xdgDirectory(const char* variable, const char* fallbackBelowHome)
{
    if (const char* value = std::getenv(variable); value && *value == '/')
        return value;
    return homeOfCaller() / fallbackBelowHome;
}

} // namespace

Config defaultConfigForCaller()
{
    Config config;
    if (::geteuid() == 0)
        return config;
    config.virtualAccounts = true;
    config.usersBase = xdgDirectory("XDG_DATA_HOME", ".local/share") / "pactown/users";
    config.stateDirectory = xdgDirectory("XDG_STATE_HOME", ".local/state") / "pactown";
    return config;
}

} // namespace pactown
