// pactownctl run: starts a run and, with --wait or --pipe, waits for its result.
#include <csignal>
#include <cstring>
#include <iostream>

#include "output.h"
#include "session.h"

namespace pactown {

namespace {

std::map<std::string, sdbus::Variant> encodeRunOptions(const RunCommandOptions& run)
{
    std::map<std::string, sdbus::Variant> options;
    if (run.command.size() == 1)
        options["command"] = sdbus::Variant(run.command.front());
    else
        options["argv"] = sdbus::Variant(run.command);
    if (run.serviceId)
        options["service"] = sdbus::Variant(*run.serviceId);
    if (!run.cwd.empty())
        options["cwd"] = sdbus::Variant(run.cwd);
    if (!run.environment.empty())
        options["environment"] = sdbus::Variant(run.environment);
    if (run.cpuQuotaPercent)
        options["cpu_quota_percent"] = sdbus::Variant(*run.cpuQuotaPercent);
    if (run.memoryMaxBytes)
        options["memory_max"] = sdbus::Variant(*run.memoryMaxBytes);
    if (run.tasksMax)
        options["tasks_max"] = sdbus::Variant(*run.tasksMax);
    if (run.privateNetwork)
        options["private_network"] = sdbus::Variant(true);
    if (run.pipe) {
        // sdbus::UnixFd duplicates the descriptors; pactownd passes them on to systemd.
        options["stdin"] = sdbus::Variant(sdbus::UnixFd(STDIN_FILENO));
        options["stdout"] = sdbus::Variant(sdbus::UnixFd(STDOUT_FILENO));
        options["stderr"] = sdbus::Variant(sdbus::UnixFd(STDERR_FILENO));
    }
    return options;
}

// The shell's convention: the exit status, or 128 plus the number of the signal that ended
// the run. A failed run never maps to 0.
int exitStatusOf(const std::string& result, const std::string& exitCode, int exitStatus)
{
    int status = exitCode == "exited" ? exitStatus : 128 + exitStatus;
    if (status == 0 && result != "success")
        status = 1;
    return status;
}

std::string describeEnd(const std::string& result, const std::string& exitCode, int exitStatus)
{
    if (exitCode == "exited")
        return "result " + result + ", exited with status " + std::to_string(exitStatus);
    const char* name = sigabbrev_np(exitStatus);
    return "result " + result + ", " + exitCode + " by signal " + std::to_string(exitStatus) +
           (name ? std::string(" (SIG") + name + ")" : "");
}

} // namespace

int startRun(Session& session, const CommandLine& line)
{
    const auto& run = line.run;
    const auto [unit, invocationId, mainPid] =
        session.manager->RunAsUser(line.arguments[0], encodeRunOptions(run));
    nlohmann::json started{{"unit_name", unit}, {"invocation_id", invocationId}, {"main_pid", mainPid}};
    // With --pipe, standard output belongs to the run; our own lines go to standard error.
    std::ostream& out = run.pipe ? std::cerr : std::cout;

    if (!run.wait) {
        if (line.json)
            out << started.dump(2) << "\n";
        else
            out << unit << "\n";
        return 0;
    }

    if (!line.json)
        out << unit << std::endl;
    const auto [result, exitCode, exitStatus] = session.manager->WaitRun(unit);
    if (line.json) {
        started.update({{"result", result}, {"exit_code", exitCode}, {"exit_status", exitStatus}});
        out << started.dump(2) << "\n";
    } else {
        out << describeEnd(result, exitCode, exitStatus) << "\n";
    }
    return exitStatusOf(result, exitCode, exitStatus);
}

} // namespace pactown
