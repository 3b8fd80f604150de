#include "manager/run_builder.h"

#include "home/home_directory.h"
#include "identity/saas_id.h"

#include <pactown/errors.h>

#include <algorithm>
#include <sys/stat.h>

namespace pactown {
namespace {

// A shell does not start with less memory, so a smaller MemoryMax= is a mistake in its unit.
constexpr uint64_t minMemoryMaxBytes = 1u << 20;
constexpr unsigned maxCpuQuotaPercent = 100 * 1024;

void validateEnvironment(const std::map<std::string, std::string>& environment)
{
    for (const auto& [name, value] : environment) {
        bool validName = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
                         std::all_of(name.begin(), name.end(), [](char c) {
                             return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                         });
        if (!validName)
            throw InvalidArgumentError("environment variable name " + quoteForMessage(name) +
                                       " is invalid: use letters, digits and '_', not starting with a digit");
        if (value.find('\0') != std::string::npos)
            throw InvalidArgumentError("environment variable " + quoteForMessage(name) + " has a NUL byte in its value");
    }
}

// systemd needs an absolute program path, so a bare name is looked up in the run's PATH here,
// on the same filesystem the run will see.
std::string resolveProgram(const std::string& program, const std::string& searchPath)
{
    if (program.find('/') != std::string::npos) {
        if (program.front() != '/')
            throw InvalidArgumentError("command " + quoteForMessage(program) +
                                       " is a relative path: give an absolute path or a name to look up in PATH");
        return program;
    }
    size_t begin = 0;
    while (begin <= searchPath.size()) {
        size_t end = searchPath.find(':', begin);
        if (end == std::string::npos)
            end = searchPath.size();
        std::filesystem::path candidate = std::filesystem::path(searchPath.substr(begin, end - begin)) / program;
        struct stat status {};
        if (candidate.is_absolute() && ::stat(candidate.c_str(), &status) == 0 && S_ISREG(status.st_mode) &&
            (status.st_mode & 0111))
            return candidate.string();
        begin = end + 1;
    }
    throw InvalidArgumentError("command " + quoteForMessage(program) + " not found in PATH '" + searchPath + "'");
}

std::vector<std::string> buildArgv(const RunRequest& request)
{
    if (const auto* shell = std::get_if<std::string>(&request.command)) {
        if (shell->empty() || shell->find('\0') != std::string::npos)
            throw InvalidArgumentError("command is empty or has a NUL byte");
        return {"/bin/sh", "-c", *shell};
    }
    const auto& argv = std::get<std::vector<std::string>>(request.command);
    if (argv.empty() || argv.front().empty())
        throw InvalidArgumentError("command is empty: give a program and its arguments");
    for (const auto& argument : argv)
        if (argument.find('\0') != std::string::npos)
            throw InvalidArgumentError("command argument " + quoteForMessage(argument) + " has a NUL byte");
    return argv;
}

// The working directory must lie inside the home, both as written and after resolving links
// that the tenant may have planted, so a run never starts in another tenant's tree.
std::filesystem::path checkWorkingDirectory(const std::filesystem::path& cwd, const IsolatedUser& user)
{
    if (!cwd.is_absolute())
        throw InvalidArgumentError("working directory " + quoteForMessage(cwd.string()) + " is not an absolute path");
    auto normal = cwd.lexically_normal();
    auto home = user.homeDir.lexically_normal();
    auto insideHome = [&home](const std::filesystem::path& path) {
        auto relative = path.lexically_relative(home);
        return !relative.empty() && *relative.begin() != "..";
    };
    std::error_code error;
    auto resolved = std::filesystem::weakly_canonical(normal, error);
    if (!insideHome(normal) || error || !insideHome(resolved))
        throw InvalidArgumentError("working directory " + quoteForMessage(cwd.string()) +
                                   " is outside the home of '" + user.linuxUsername + "' (" + home.string() + ")");
    return normal;
}

void checkLimits(const EffectiveLimits& limits)
{
    if (limits.cpuQuotaPercent && (*limits.cpuQuotaPercent == 0 || *limits.cpuQuotaPercent > maxCpuQuotaPercent))
        throw InvalidArgumentError("CPU quota " + std::to_string(*limits.cpuQuotaPercent) +
                                   "% is out of range: use 1% to " + std::to_string(maxCpuQuotaPercent) + "%");
    if (limits.memoryMaxBytes && *limits.memoryMaxBytes < minMemoryMaxBytes)
        throw InvalidArgumentError("memory max " + std::to_string(*limits.memoryMaxBytes) +
                                   " bytes is below the minimum of 1M");
    if (limits.tasksMax && *limits.tasksMax == 0)
        throw InvalidArgumentError("tasks max 0 would not let the command start: use 1 or more");
}

} // namespace

EffectiveLimits resolveLimits(const EffectiveLimits& defaults, const RunLimits& requested)
{
    EffectiveLimits limits = defaults;
    if (requested.cpuQuotaPercent)
        limits.cpuQuotaPercent = requested.cpuQuotaPercent;
    if (requested.memoryMaxBytes)
        limits.memoryMaxBytes = requested.memoryMaxBytes;
    if (requested.tasksMax)
        limits.tasksMax = requested.tasksMax;
    if (requested.privateNetwork)
        limits.privateNetwork = *requested.privateNetwork;
    return limits;
}

TransientService buildTransientService(const Config& config, const IsolatedUser& user, const RunRequest& request)
{
    if (!request.serviceId.empty())
        validateServiceId(request.serviceId);
    validateEnvironment(request.environment);

    TransientService service;
    service.argv = buildArgv(request);
    service.limits = resolveLimits(config.defaultLimits, request.limits);
    checkLimits(service.limits);

    if (!request.cwd.empty())
        service.workingDirectory = checkWorkingDirectory(request.cwd, user);
    else if (!request.serviceId.empty())
        service.workingDirectory = createSandbox(user.homeDir, request.serviceId, user.linuxUid, user.linuxGid);
    else
        service.workingDirectory = user.homeDir;

    // Only what the caller passed, then the variables a login would set; nothing of the daemon.
    service.environment = request.environment;
    service.environment.try_emplace("PATH", "/usr/local/bin:/usr/bin:/bin");
    service.environment.try_emplace("LANG", "C.UTF-8");
    service.environment["HOME"] = user.homeDir.string();
    service.environment["USER"] = user.linuxUsername;
    service.environment["LOGNAME"] = user.linuxUsername;
    service.argv.front() = resolveProgram(service.argv.front(), service.environment.at("PATH"));

    if (user.mode == AccountMode::System) {
        service.uid = user.linuxUid;
        service.gid = user.linuxGid;
    }
    service.unitName = makeRunUnitName(user.linuxUsername);
    service.slice = tenantSliceName(user.linuxUsername);
    service.description = "pactown run of " + user.linuxUsername +
                          (request.serviceId.empty() ? std::string() : " (service " + request.serviceId + ")");
    service.saasUserId = user.saasUserId;
    service.serviceId = request.serviceId;
    service.stdinFd = request.stdinFd;
    service.stdoutFd = request.stdoutFd;
    service.stderrFd = request.stderrFd;
    return service;
}

} // namespace pactown
