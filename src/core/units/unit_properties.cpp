#include "units/unit_properties.h"

#include <pactown/errors.h>

#include <cstdint>
#include <limits>

namespace pactown {

namespace {

// One ExecStart= line, a(sasb): the path, the argv and whether a failure is ignored.
using ExecCommand = sdbus::Struct<std::string, std::vector<std::string>, bool>;

constexpr uint64_t noLimit = std::numeric_limits<uint64_t>::max();
// CPUQuota=P% is CPUQuotaPerSecUSec = P * 10000: microseconds of CPU time per second.
constexpr uint64_t quotaMicrosecondsPerPercent = 10000;

template <typename Value>
void add(UnitProperties& properties, const char* name, const Value& value)
{
    properties.emplace_back(sdbus::Struct<std::string, sdbus::Variant>(name, sdbus::Variant(value)));
}

// systemd expands $NAME and ${NAME} in ExecStart= arguments, also in transient units, and reads
// "$$" as a literal '$' (systemd.service(5), "Command lines"). The argv must reach the command as
// given, so every '$' is doubled.
std::vector<std::string> escapeVariableReferences(const std::vector<std::string>& argv)
{
    std::vector<std::string> escaped;
    for (const auto& argument : argv) {
        std::string text;
        for (char c : argument) {
            text += c;
            if (c == '$')
                text += '$';
        }
        escaped.push_back(std::move(text));
    }
    return escaped;
}

void checkCommand(const TransientService& service)
{
    if (service.argv.empty())
        throw InvalidArgumentError("run unit '" + service.unitName + "' has no command");
    if (!service.argv[0].starts_with('/'))
        throw InvalidArgumentError("command '" + service.argv[0] + "' of run unit '" + service.unitName +
                                   "' is not an absolute path");
}

std::vector<std::string> environmentAssignments(const TransientService& service)
{
    std::vector<std::string> assignments;
    for (const auto& [name, value] : service.environment) {
        if (name.empty() || name.find('=') != std::string::npos)
            throw InvalidArgumentError("environment variable name '" + name + "' is empty or contains '='");
        assignments.push_back(name + "=" + value);
    }
    return assignments;
}

std::vector<std::string> variablesToUnset(const TransientService& service,
                                          const std::vector<std::string>& managerEnvironment)
{
    std::vector<std::string> names;
    for (const auto& assignment : managerEnvironment) {
        std::string name = assignment.substr(0, assignment.find('='));
        if (!name.empty() && !service.environment.contains(name))
            names.push_back(name);
    }
    return names;
}

void addIdentity(UnitProperties& properties, const TransientService& service)
{
    // Numeric values, so that systemd needs no NSS lookup of a name.
    if (service.uid)
        add(properties, "User", std::to_string(*service.uid));
    if (service.gid)
        add(properties, "Group", std::to_string(*service.gid));
    add(properties, "SupplementaryGroups", std::vector<std::string>{});
}

// Walls between tenants beyond the UID: each run gets its own /tmp, /var/tmp, /dev, /dev/shm
// and System V IPC namespace, sees only its own processes in /proc, and cannot gain
// privileges through setuid programs. Runs of the user manager (virtual tenants) cannot set up
// mount namespaces unprivileged, so they go without.
void addSandboxing(UnitProperties& properties, const TransientService& service)
{
    if (!service.uid)
        return;
    add(properties, "PrivateTmp", true);
    add(properties, "PrivateDevices", true);
    // PrivateDevices= binds the host's /dev/shm into the private /dev, so it gets a tmpfs of its own.
    add(properties, "TemporaryFileSystem",
        std::vector<sdbus::Struct<std::string, std::string>>{{"/dev/shm", "mode=1777,nosuid,nodev"}});
    add(properties, "PrivateIPC", true);
    add(properties, "ProtectProc", std::string("invisible"));
    add(properties, "NoNewPrivileges", true);
    add(properties, "RestrictSUIDSGID", true);
    add(properties, "ProtectKernelTunables", true);
    add(properties, "ProtectKernelModules", true);
    add(properties, "ProtectKernelLogs", true);
    add(properties, "ProtectControlGroups", true);
    add(properties, "ProtectClock", true);
    add(properties, "ProtectHostname", true);
    add(properties, "LockPersonality", true);
    add(properties, "RestrictRealtime", true);
}

void addLimits(UnitProperties& properties, const EffectiveLimits& limits)
{
    add(properties, "CPUAccounting", true);
    add(properties, "MemoryAccounting", true);
    add(properties, "TasksAccounting", true);
    if (limits.cpuQuotaPercent)
        add(properties, "CPUQuotaPerSecUSec", uint64_t{*limits.cpuQuotaPercent} * quotaMicrosecondsPerPercent);
    if (limits.memoryMaxBytes)
        add(properties, "MemoryMax", *limits.memoryMaxBytes);
    // Without TasksMax= the manager's DefaultTasksMax= would apply.
    add(properties, "TasksMax", limits.tasksMax.value_or(noLimit));
    add(properties, "PrivateNetwork", limits.privateNetwork);
}

void addStandardStreams(UnitProperties& properties, const TransientService& service)
{
    if (service.stdinFd >= 0)
        add(properties, "StandardInputFileDescriptor", sdbus::UnixFd(service.stdinFd));
    // A descriptor takes precedence over StandardOutput=. Still, systemd 252 connects standard
    // error to standard output when both have the same type, so with an output descriptor
    // StandardOutput= is set to "null" to keep errors in the journal rather than in the descriptor.
    if (service.stdoutFd >= 0) {
        add(properties, "StandardOutputFileDescriptor", sdbus::UnixFd(service.stdoutFd));
        add(properties, "StandardOutput", std::string("null"));
    } else {
        add(properties, "StandardOutput", std::string("journal"));
    }
    if (service.stderrFd >= 0)
        add(properties, "StandardErrorFileDescriptor", sdbus::UnixFd(service.stderrFd));
    else
        add(properties, "StandardError", std::string("journal"));
}

} // namespace

constexpr uint64_t runStopTimeoutMicroseconds = 5'000'000;

UnitProperties makeTransientProperties(const TransientService& service,
                                       const std::vector<std::string>& managerEnvironment)
{
    checkCommand(service);

    UnitProperties properties;
    add(properties, "Description", service.description);
    add(properties, "Slice", service.slice);
    add(properties, "Type", std::string("exec"));
    add(properties, "ExecStart", std::vector<ExecCommand>{ExecCommand(service.argv[0], escapeVariableReferences(service.argv), false)});
    add(properties, "KillMode", std::string("control-group"));
    add(properties, "CollectMode", std::string("inactive-or-failed"));
    // A tenant's process that ignores SIGTERM must not hold a stop or a delete for systemd's
    // default of 90 seconds; after this it gets SIGKILL.
    add(properties, "TimeoutStopUSec", uint64_t{runStopTimeoutMicroseconds});
    add(properties, "AddRef", true);
    if (!service.workingDirectory.empty())
        add(properties, "WorkingDirectory", service.workingDirectory.string());
    add(properties, "Environment", environmentAssignments(service));
    add(properties, "UnsetEnvironment", variablesToUnset(service, managerEnvironment));
    addIdentity(properties, service);
    addLimits(properties, service.limits);
    addSandboxing(properties, service);
    addStandardStreams(properties, service);
    return properties;
}

} // namespace pactown
