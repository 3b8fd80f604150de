// Measures the data operations of libpactown against the tools they replace, in one run on one
// machine: measureDiskUsage against `du -sx`, exportHome against `tar -czf`, importHome against
// `tar -xzf`, and the peak memory of export and import for two tree sizes.
//
// Usage: data-bench [FILES] [--dir DIR] [--repeat N]
//   FILES     files in the large tree (default 200000); the small tree has a tenth of them
//   --dir     where the trees are built (default: the system's temporary directory)
//   --repeat  runs of each timed operation; the fastest counts (default 3)
// Run it as root: the import sets owners, as it does for a tenant.

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/disk_usage.h"
#include "data/home_exporter.h"
#include "data/home_importer.h"
#include "data/tree_removal.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using pactown::removeTree;

constexpr unsigned filesPerDirectory = 100;
constexpr uid_t tenantUid = 4'000'000'000u; // no account; only for the owners the import sets

// Builds a home of `files` files of 0 to 4 KiB of text, 100 per directory, two levels deep,
// with one hard link and one symbolic link per directory.
void buildTree(const fs::path& home, unsigned files)
{
    fs::create_directories(home);
    uint32_t seed = 12345;
    auto next = [&seed] { return seed = seed * 1103515245u + 12345u; };
    std::string text;
    for (unsigned i = 0; i < files; ++i) {
        unsigned dirIndex = i / filesPerDirectory;
        fs::path dir = home / ("d" + std::to_string(dirIndex / 100)) / ("d" + std::to_string(dirIndex % 100));
        if (i % filesPerDirectory == 0)
            fs::create_directories(dir);
        text.clear();
        size_t size = (next() >> 8) % 4096;
        while (text.size() < size)
            text += "word" + std::to_string((next() >> 8) % 5000) + ' ';
        text.resize(size);
        fs::path file = dir / ("f" + std::to_string(i % filesPerDirectory));
        FILE* stream = std::fopen(file.c_str(), "w");
        std::fwrite(text.data(), 1, text.size(), stream);
        std::fclose(stream);
        if (i % filesPerDirectory == filesPerDirectory - 1) {
            fs::create_hard_link(file, dir / "hardlink");
            fs::create_symlink("f0", dir / "symlink");
        }
    }
}

double seconds(const std::function<void()>& body)
{
    auto start = std::chrono::steady_clock::now();
    body();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The fastest of `repeat` runs; `prepare` runs untimed before each.
double fastest(unsigned repeat, const std::function<void()>& body, const std::function<void()>& prepare = {})
{
    double best = 1e100;
    for (unsigned i = 0; i < repeat; ++i) {
        if (prepare)
            prepare();
        best = std::min(best, seconds(body));
    }
    return best;
}

// Runs argv and returns its peak resident memory in KiB; exits when it fails.
long runChild(const std::vector<std::string>& args)
{
    std::vector<char*> argv;
    for (const std::string& arg : args)
        argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    // The reference tools print their results; only their time counts.
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    int failed = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (failed != 0) {
        std::fprintf(stderr, "cannot start '%s'\n", argv[0]);
        std::exit(1);
    }
    int status = 0;
    struct rusage usage {};
    ::wait4(pid, &status, 0, &usage);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::fprintf(stderr, "'%s' failed\n", argv[0]);
        std::exit(1);
    }
    return usage.ru_maxrss;
}

void exportTo(const fs::path& home, const fs::path& archive)
{
    int fd = ::open(archive.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    pactown::exportHome(home, {{"saas_user_id", "bench"}}, fd);
    ::close(fd);
}

void importFrom(const fs::path& archive, const fs::path& base, const fs::path& home)
{
    int fd = ::open(archive.c_str(), O_RDONLY | O_CLOEXEC);
    pactown::importHome(fd, base, home, tenantUid, tenantUid);
    ::close(fd);
}

struct Comparison {
    const char* operation;
    double ours;
    double reference;
    const char* referenceName;
};

struct Sizes {
    unsigned files;
    long exportKiB;
    long importKiB;
};

struct Bench {
    fs::path work;
    unsigned files = 200000;
    unsigned repeat = 3;
    std::string self;

    Comparison diskUsage(const fs::path& home)
    {
        pactown::measureDiskUsage(home); // warms the inode cache for both
        double ours = fastest(repeat, [&] { pactown::measureDiskUsage(home); });
        double du = fastest(repeat, [&] { runChild({"/usr/bin/du", "-sx", home.string()}); });
        return {"disk usage", ours, du, "du -sx"};
    }

    Comparison exportArchive(const fs::path& home)
    {
        fs::path tarArchive = work / "tar.tar.gz";
        double ours = fastest(repeat, [&] { exportTo(home, work / "ours.tar.gz"); });
        double tar = fastest(repeat, [&] {
            runChild({"/usr/bin/tar", "-czf", tarArchive.string(), "-C", home.string(), "."});
        });
        return {"export", ours, tar, "tar -czf"};
    }

    Comparison importArchive()
    {
        fs::path base = work / "users", home = base / "imported", tarTarget = work / "tar-target";
        auto clean = [&] {
            removeTree(home);
            removeTree(tarTarget);
            fs::create_directories(tarTarget);
        };
        fs::create_directories(base);
        double ours = fastest(repeat, [&] { importFrom(work / "ours.tar.gz", base, home); }, clean);
        double tar = fastest(repeat, [&] {
            runChild({"/usr/bin/tar", "-xzf", (work / "tar.tar.gz").string(), "-C", tarTarget.string()});
        }, clean);
        clean();
        return {"import", ours, tar, "tar -xzf"};
    }

    Sizes peakMemory(const fs::path& home, unsigned treeFiles)
    {
        fs::path archive = work / ("memory-" + std::to_string(treeFiles) + ".tar.gz");
        long exportKiB = runChild({self, "--child-export", home.string(), archive.string()});
        fs::path base = work / "users";
        fs::create_directories(base);
        removeTree(base / "memory");
        long importKiB = runChild({self, "--child-import", archive.string(), base.string(), (base / "memory").string()});
        removeTree(base / "memory");
        return {treeFiles, exportKiB, importKiB};
    }
};

void printResults(const Bench& bench, const std::vector<Comparison>& comparisons, const std::vector<Sizes>& sizes)
{
    std::printf("\n%u files, fastest of %u runs\n\n", bench.files, bench.repeat);
    std::printf("| operation | libpactown (s) | reference | reference (s) | ratio |\n|---|---|---|---|---|\n");
    for (const Comparison& c : comparisons)
        std::printf("| %s | %.3f | `%s` | %.3f | %.2f |\n", c.operation, c.ours, c.referenceName, c.reference,
                    c.ours / c.reference);
    std::printf("\n| files | export peak RSS (MiB) | import peak RSS (MiB) |\n|---|---|---|\n");
    for (const Sizes& s : sizes)
        std::printf("| %u | %.1f | %.1f |\n", s.files, s.exportKiB / 1024.0, s.importKiB / 1024.0);
}

int runBench(int argc, char** argv)
{
    Bench bench;
    bench.self = fs::canonical("/proc/self/exe").string();
    fs::path parent = fs::temp_directory_path();
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--dir" && i + 1 < argc)
            parent = argv[++i];
        else if (arg == "--repeat" && i + 1 < argc)
            bench.repeat = static_cast<unsigned>(std::stoul(argv[++i]));
        else
            bench.files = static_cast<unsigned>(std::stoul(arg));
    }
    std::string pattern = (parent / "pactown-data-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        std::fprintf(stderr, "cannot create a directory in '%s'\n", parent.c_str());
        return 1;
    }
    bench.work = pattern;

    unsigned smallFiles = bench.files / 10;
    fs::path large = bench.work / "large", small = bench.work / "small";
    std::printf("building trees of %u and %u files in %s\n", bench.files, smallFiles, bench.work.c_str());
    buildTree(large, bench.files);
    buildTree(small, smallFiles);

    std::vector<Comparison> comparisons{bench.diskUsage(large), bench.exportArchive(large), bench.importArchive()};
    std::vector<Sizes> sizes{bench.peakMemory(small, smallFiles), bench.peakMemory(large, bench.files)};
    printResults(bench, comparisons, sizes);
    removeTree(bench.work);
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    try {
        if (argc == 4 && std::strcmp(argv[1], "--child-export") == 0) {
            exportTo(argv[2], argv[3]);
            return 0;
        }
        if (argc == 5 && std::strcmp(argv[1], "--child-import") == 0) {
            importFrom(argv[2], argv[3], argv[4]);
            return 0;
        }
        return runBench(argc, argv);
    } catch (const std::exception& error) {
        std::fprintf(stderr, "data-bench: %s\n", error.what());
        return 1;
    }
}
