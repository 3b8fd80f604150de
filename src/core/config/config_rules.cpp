#include "config/config_rules.h"

#include <pactown/errors.h>

#include <algorithm>
#include <array>

namespace pactown {

namespace {

struct ReservedUidRange {
    uid_t first;
    uid_t last;
    std::string_view owner;
};

// UIDs that Linux or systemd allocate or treat specially, as listed in systemd's
// docs/UIDS-GIDS.md ("Users, Groups, UIDs and GIDs on systemd Systems").
constexpr std::array reservedUidRanges = {
    ReservedUidRange{0, 999, "root and the system users"},
    ReservedUidRange{60001, 60577, "systemd-homed users and host users mapped into systemd-nspawn containers"},
    ReservedUidRange{61184, 65519, "DynamicUser= services"},
    ReservedUidRange{65534, 65535, "nobody and the 16-bit (uid_t) -1"},
    ReservedUidRange{524288, 1879048191, "the container UID ranges of systemd-nspawn --private-users=pick"},
    // The kernel's devpts and other code treat UIDs as signed 32-bit numbers.
    ReservedUidRange{2147483648u, 4294967295u, "UIDs that code treating UIDs as signed integers cannot handle"},
};

// Trees whose contents the distribution or the kernel owns.
constexpr std::array forbiddenUsersBaseParents = {"/etc", "/proc", "/sys", "/dev", "/usr", "/boot"};

bool isInside(const std::filesystem::path& path, const std::filesystem::path& parent)
{
    auto [parentEnd, pathPosition] = std::mismatch(parent.begin(), parent.end(), path.begin(), path.end());
    return parentEnd == parent.end();
}

std::optional<ConfigViolation> findPathViolation(const Config& config)
{
    const std::array<std::pair<std::string_view, const std::filesystem::path*>, 3> paths = {{
        {"UsersBase", &config.usersBase},
        {"AccountRoot", &config.accountRoot},
        {"StateDirectory", &config.stateDirectory},
    }};
    for (const auto& [key, path] : paths)
        if (!path->is_absolute())
            return ConfigViolation{{key}, "expected an absolute path"};

    std::filesystem::path usersBase = config.usersBase.lexically_normal();
    if (usersBase == "/")
        return ConfigViolation{{"UsersBase"}, "the root directory cannot hold tenant homes"};
    for (std::filesystem::path parent : forbiddenUsersBaseParents)
        if (isInside(usersBase, parent))
            return ConfigViolation{{"UsersBase"}, "tenant homes must not be inside '" + parent.string() + "'"};
    return std::nullopt;
}

std::optional<ConfigViolation> findUidRangeViolation(const Config& config)
{
    if (config.uidMin > config.uidMax)
        return ConfigViolation{{"UIDMin", "UIDMax"},
                               "UIDMin=" + std::to_string(config.uidMin) + " is above UIDMax=" +
                                   std::to_string(config.uidMax)};

    for (const auto& range : reservedUidRanges) {
        if (config.uidMin > range.last || config.uidMax < range.first)
            continue;
        std::vector<std::string_view> keys;
        if (config.uidMin >= range.first)
            keys = {"UIDMin"};
        else if (config.uidMax <= range.last)
            keys = {"UIDMax"};
        else
            keys = {"UIDMin", "UIDMax"};
        return ConfigViolation{keys, "the UID range " + std::to_string(config.uidMin) + "-" +
                                         std::to_string(config.uidMax) + " overlaps " +
                                         std::to_string(range.first) + "-" + std::to_string(range.last) +
                                         ", reserved for " + std::string(range.owner)};
    }
    return std::nullopt;
}

bool isSliceCharacter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == ':' || c == '.' || c == '\\' || c == '-';
}

// A slice name encodes its place in the tree with dashes ("a-b.slice" is inside "a.slice"), so
// an empty step (a leading, trailing or doubled dash) names no slice.
std::optional<std::string> findSliceNameError(std::string_view name)
{
    constexpr std::string_view suffix = ".slice";
    if (name.size() <= suffix.size() || name.substr(name.size() - suffix.size()) != suffix)
        return "expected a slice name ending in '.slice', such as 'pactown.slice'";
    if (name.size() > 255)
        return "unit names are at most 255 characters long";
    for (char c : name)
        if (!isSliceCharacter(c))
            return "a unit name contains only ASCII letters, digits and ':', '_', '.', '\\', '-'";

    std::string_view prefix = name.substr(0, name.size() - suffix.size());
    if (prefix.front() == '-' || prefix.back() == '-' || prefix.find("--") != std::string_view::npos)
        return "a slice name has no leading, trailing or doubled '-'";
    return std::nullopt;
}

std::optional<ConfigViolation> findLimitViolation(const Config& config)
{
    const EffectiveLimits& limits = config.defaultLimits;
    if (limits.cpuQuotaPercent == 0u)
        return ConfigViolation{{"CPUQuota"}, "quota must be greater than 0%"};
    if (limits.memoryMaxBytes == 0u)
        return ConfigViolation{{"MemoryMax"}, "size must be greater than 0"};
    if (limits.tasksMax == 0u)
        return ConfigViolation{{"TasksMax"}, "limit must be greater than 0"};
    return std::nullopt;
}

std::string formatLimit(const std::optional<uint64_t>& limit, std::string_view unit = {})
{
    return limit ? std::to_string(*limit) + std::string(unit) : "infinity";
}

} // namespace

std::optional<ConfigViolation> findConfigViolation(const Config& config)
{
    if (auto violation = findPathViolation(config))
        return violation;
    if (auto violation = findUidRangeViolation(config))
        return violation;
    if (auto error = findSliceNameError(config.parentSlice))
        return ConfigViolation{{"ParentSlice"}, *error};
    return findLimitViolation(config);
}

std::string formatConfigValue(const Config& config, std::string_view key)
{
    const EffectiveLimits& limits = config.defaultLimits;
    if (key == "UsersBase")
        return config.usersBase.string();
    if (key == "AccountRoot")
        return config.accountRoot.string();
    if (key == "StateDirectory")
        return config.stateDirectory.string();
    if (key == "UIDMin")
        return std::to_string(config.uidMin);
    if (key == "UIDMax")
        return std::to_string(config.uidMax);
    if (key == "CPUQuota")
        return formatLimit(limits.cpuQuotaPercent, "%");
    if (key == "MemoryMax")
        return formatLimit(limits.memoryMaxBytes);
    if (key == "TasksMax")
        return formatLimit(limits.tasksMax);
    if (key == "PrivateNetwork")
        return limits.privateNetwork ? "yes" : "no";
    if (key == "VirtualAccounts")
        return config.virtualAccounts ? "yes" : "no";
    if (key == "ParentSlice")
        return config.parentSlice;
    return {};
}

void validateConfig(const Config& config)
{
    if (auto violation = findConfigViolation(config)) {
        std::string_view key = violation->keys.front();
        throw ConfigError("invalid value '" + formatConfigValue(config, key) + "' for key '" +
                          std::string(key) + "': " + violation->reason);
    }
}

} // namespace pactown
