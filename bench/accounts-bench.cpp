// Creating tenants: pactown's getOrCreateUser() against useradd --prefix, each in a private
// account root seeded with a copy of this host's account files, in the same run.
// It prints the time per creation of the first and the last thousand, which shows how each
// tool slows down as the account files grow, and the ratio of the two tools. It also prints
// the time of getUser() for an existing tenant and the batch sizes of concurrent creations.
//
// Usage: accounts-bench [--count N] [--dir DIR]   (as root; N defaults to 10000)
#include <pactown/user_isolation_manager.h>

#include "manager/tenant_store.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr size_t chunk = 1000;

struct Options {
    size_t count = 10000;
    fs::path directory;
};

Options parseOptions(int argc, char** argv)
{
    Options options;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string option = argv[i];
        if (option == "--count")
            options.count = std::stoul(argv[i + 1]);
        else if (option == "--dir")
            options.directory = argv[i + 1];
        else
            throw std::invalid_argument("unknown option '" + option + "': use --count N or --dir DIR");
    }
    if (options.count < 2 * chunk)
        throw std::invalid_argument("--count must be at least " + std::to_string(2 * chunk));
    if (options.directory.empty()) {
        std::string pattern = (fs::temp_directory_path() / "accounts-bench-XXXXXX").string();
        if (!::mkdtemp(pattern.data()))
            throw std::runtime_error("cannot create a temp directory from '" + pattern + "'");
        options.directory = pattern;
    }
    return options;
}

// A private account root with copies of the host's account files and login.defs.
fs::path makeRoot(const fs::path& root)
{
    fs::create_directories(root / "etc");
    for (const char* file : {"passwd", "group", "shadow", "gshadow", "login.defs"})
        fs::copy_file(fs::path("/etc") / file, root / "etc" / file, fs::copy_options::overwrite_existing);
    return root;
}

double peakRssMiB()
{
    struct rusage usage {};
    ::getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024;
}

double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// Seconds taken by each thousand creations.
using ChunkTimes = std::vector<double>;

// Reports each thousand on stderr, so that a run of tens of minutes shows its progress.
ChunkTimes timeInChunks(const char* label, size_t count, const std::function<void(size_t)>& create)
{
    ChunkTimes times;
    auto start = Clock::now();
    for (size_t i = 0; i < count; ++i) {
        create(i);
        if ((i + 1) % chunk == 0) {
            times.push_back(secondsSince(start));
            std::fprintf(stderr, "%s: %zu of %zu created, %.3f ms per creation in the last thousand\n", label, i + 1,
                         count, times.back() * 1000 / chunk);
            start = Clock::now();
        }
    }
    return times;
}

void runUseradd(const fs::path& root, size_t index)
{
    std::string name = "bench" + std::to_string(index);
    std::string home = "/home/pactown_users/" + name;
    std::vector<std::string> arguments = {
        "useradd", "--prefix", root.string(), "-m", "-k", "/nonexistent-skel", "-U", "-s", "/usr/sbin/nologin",
        "-K", "UID_MIN=65536", "-K", "UID_MAX=99999", "-K", "GID_MIN=65536", "-K", "GID_MAX=99999",
        "-d", home, name,
    };
    pid_t pid = ::fork();
    if (pid == 0) {
        std::vector<char*> argv;
        for (auto& argument : arguments)
            argv.push_back(argument.data());
        argv.push_back(nullptr);
        ::execvp(argv[0], argv.data());
        ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw std::runtime_error("useradd of '" + name + "' failed with status " + std::to_string(status));
}

pactown::Config configFor(const fs::path& root)
{
    pactown::Config config;
    config.accountRoot = root;
    config.usersBase = root / "home" / "pactown_users";
    config.stateDirectory = root / "state";
    return config;
}

void printRow(const char* label, const ChunkTimes& times)
{
    double total = 0;
    for (double seconds : times)
        total += seconds;
    std::printf("%-28s %10.3f %10.3f %10.1f\n", label, times.front() * 1000 / chunk, times.back() * 1000 / chunk, total);
}

double meanGetUserMicroseconds(pactown::UserIsolationManager& manager, const std::string& saasUserId)
{
    constexpr int calls = 10000;
    auto start = Clock::now();
    for (int i = 0; i < calls; ++i)
        manager.getUser(saasUserId);
    return secondsSince(start) * 1e6 / calls;
}

// Creates `count` tenants from `threads` threads at once and prints the mean batch size.
void benchmarkGroupCommit(const fs::path& root, size_t count, unsigned threads)
{
    pactown::Config config = configFor(makeRoot(root));
    pactown::TenantStore store(config);
    auto start = Clock::now();
    std::vector<std::thread> workers;
    for (unsigned t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            for (size_t i = t; i < count; i += threads)
                store.getOrCreate("concurrent-tenant-" + std::to_string(i));
        });
    }
    for (auto& worker : workers)
        worker.join();
    double seconds = secondsSince(start);
    auto counters = store.batchCounters();
    std::printf("%u threads, %zu tenants: %.3f ms per creation, %llu account updates, %.1f tenants per update\n",
                threads, count, seconds * 1000 / count, static_cast<unsigned long long>(counters.batches),
                static_cast<double>(counters.tenants) / static_cast<double>(counters.batches));
}

} // namespace

int main(int argc, char** argv)
{
    try {
        if (::geteuid() != 0)
            throw std::runtime_error("run as root: useradd and pactown chown the homes they create");
        Options options = parseOptions(argc, argv);
        fs::path pactownRoot = makeRoot(options.directory / "pactown");
        fs::path useraddRoot = makeRoot(options.directory / "useradd");

        pactown::Config config = configFor(pactownRoot);
        pactown::UserIsolationManager manager(config);
        ChunkTimes pactownTimes = timeInChunks("pactown", options.count, [&](size_t i) {
            manager.getOrCreateUser("tenant-" + std::to_string(i));
        });
        // Measured before useradd runs, although useradd's own memory is not counted in it:
        // RUSAGE_SELF covers this process only.
        double pactownPeakMiB = peakRssMiB();
        ChunkTimes useraddTimes = timeInChunks("useradd", options.count, [&](size_t i) { runUseradd(useraddRoot, i); });

        std::printf("accounts benchmark: %zu tenants in private account roots under '%s'\n", options.count,
                    options.directory.c_str());
        std::printf("%-28s %10s %10s %10s\n", "ms per creation", "first 1000", "last 1000", "total s");
        printRow("pactown getOrCreateUser", pactownTimes);
        printRow("useradd --prefix", useraddTimes);
        std::printf("%-28s %10.2f %10.2f\n", "ratio useradd / pactown", useraddTimes.front() / pactownTimes.front(),
                    useraddTimes.back() / pactownTimes.back());
        std::printf("peak RSS of this process after the pactown creations: %.1f MiB\n", pactownPeakMiB);
        std::printf("getUser of an existing tenant: %.1f us (mean of 10000 calls)\n",
                    meanGetUserMicroseconds(manager, "tenant-" + std::to_string(options.count / 2)));
        benchmarkGroupCommit(options.directory / "concurrent", 2 * chunk, 8);
        fs::remove_all(options.directory);
        return 0;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "accounts-bench: %s\n", error.what());
        return 1;
    }
}
