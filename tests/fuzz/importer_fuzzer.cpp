// Feeds arbitrary bytes to importHome as the archive and aborts when anything appears outside
// the users base or a staging directory is left behind.

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

#include <pactown/errors.h>

#include "data/home_importer.h"
#include "data/tree_removal.h"

namespace {

struct FuzzTree {
    std::filesystem::path root;  // holds only the users base
    std::filesystem::path base;  // the users base
    std::filesystem::path home;

    FuzzTree()
    {
        std::string pattern = (std::filesystem::temp_directory_path() / "pactown-fuzz-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr)
            std::abort();
        root = pattern;
        base = root / "users";
        home = base / "pactown_fuzz";
        std::filesystem::create_directory(base);
    }
};

FuzzTree* tree = nullptr;

void removeFuzzTree()
{
    pactown::removeTree(tree->root);
}

std::set<std::string> namesIn(const std::filesystem::path& dir)
{
    std::set<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir))
        names.insert(entry.path().filename().string());
    return names;
}

void requireNothingOutside()
{
    std::set<std::string> rootNames = namesIn(tree->root);
    std::set<std::string> baseNames = namesIn(tree->base);
    baseNames.erase("pactown_fuzz");
    if (rootNames != std::set<std::string>{"users"} || !baseNames.empty()) {
        std::fprintf(stderr, "an entry appeared outside the home in '%s'\n", tree->root.c_str());
        std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    tree = new FuzzTree();
    std::atexit(removeFuzzTree);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    int fd = ::memfd_create("archive", MFD_CLOEXEC);
    if (fd < 0 || ::write(fd, data, size) != static_cast<ssize_t>(size) || ::lseek(fd, 0, SEEK_SET) != 0)
        std::abort();
    try {
        pactown::importHome(fd, tree->base, tree->home, ::getuid(), ::getgid());
    } catch (const pactown::UnsafeArchiveError&) {
    } catch (const pactown::SystemError&) {
    }
    ::close(fd);

    requireNothingOutside();
    pactown::removeTree(tree->home);
    return 0;
}
