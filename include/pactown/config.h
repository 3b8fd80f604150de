#pragma once

#include <filesystem>
#include <string>
#include <sys/types.h>

#include <pactown/run.h>

namespace pactown {

// Settings of a manager. Defaults are those of a root daemon on a SaaS host; see
// loadConfig() for the file format.
struct Config {
    // Parent of every tenant's home.
    std::filesystem::path usersBase = "/home/pactown_users";
    // Root under which etc/passwd, etc/group, etc/shadow and etc/gshadow are written, like
    // systemd-sysusers --root.
    std::filesystem::path accountRoot = "/";
    // Directory of the registry database.
    std::filesystem::path stateDirectory = "/var/lib/pactown";
    // UIDs (and equal GIDs) handed to tenants. The default stays clear of nobody (65534),
    // systemd-homed (60001-60513), systemd-nspawn (60514-60577), DynamicUser= (61184-65519)
    // and the subordinate ID ranges that useradd allocates from 100000 on.
    uid_t uidMin = 65536;
    uid_t uidMax = 99999;
    // Limits of a run that does not set its own.
    EffectiveLimits defaultLimits{
        .cpuQuotaPercent = 100,
        .memoryMaxBytes = 512ull << 20,
        .tasksMax = 256,
        .privateNetwork = false,
    };
    // Real accounts (root) or registry-only tenants (any other user); see AccountMode.
    bool virtualAccounts = false;
    // Slice under which every tenant gets its own slice.
    std::string parentSlice = "pactown.slice";
};

// Returns the defaults for the calling user. Root gets the defaults above. Anyone else gets
// virtual accounts, with the users base and state directory under the caller's own XDG data
// and state directories, which are private to the caller, unlike a predictable path in /tmp.
Config defaultConfigForCaller();

// Reads `path` and then `path`.d/*.conf in lexical order, in the format of systemd's daemon
// configuration files: an [Isolation] section of Key=value lines, '#' and ';' comments.
// Throws ConfigError naming the file, line and key of an invalid or unknown setting, and of a
// setting set that breaks a rule (an empty or reserved UID range, a users base inside /etc).
// A missing main file is not an error.
Config loadConfig(const std::filesystem::path& path, Config defaults = {});

// Checks the rules loadConfig() checks, for a Config built in code. Throws ConfigError.
void validateConfig(const Config& config);

} // namespace pactown
