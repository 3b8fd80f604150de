#include "tenant_fixture.h"

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace pactown::test {

namespace {

void writeFile(const std::filesystem::path& path, const std::string& content, std::filesystem::perms mode)
{
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << content;
    std::filesystem::permissions(path, mode);
}

std::vector<std::string> readLines(const std::filesystem::path& path)
{
    std::ifstream input(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(input, line);)
        lines.push_back(line);
    return lines;
}

std::string runCapturingOutput(const std::string& command)
{
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen((command + " 2>&1").c_str(), "r"), ::pclose);
    if (!pipe)
        return "cannot run '" + command + "'";
    std::string output;
    char buffer[4096];
    while (size_t count = std::fread(buffer, 1, sizeof buffer, pipe.get()))
        output.append(buffer, count);
    int status = ::pclose(pipe.release());
    if (status != 0 && output.empty())
        output = "'" + command + "' exited with status " + std::to_string(status);
    else if (status != 0)
        output = "'" + command + "' exited with status " + std::to_string(status) + ":\n" + output;
    return output;
}

} // namespace

void requireRoot()
{
    ASSERT_EQ(::geteuid(), 0u) << "tenant tests must run as root: they create homes owned by tenant UIDs";
}

TenantWorld::TenantWorld()
{
    std::string pattern = (std::filesystem::temp_directory_path() / "pactown-tenants-XXXXXX").string();
    if (!::mkdtemp(pattern.data()))
        throw std::runtime_error("cannot create a temp directory from '" + pattern + "'");
    base_ = pattern;
    root_ = base_ / "root";

    using std::filesystem::perms;
    writeFile(root_ / "etc" / "passwd", "root:x:0:0:root:/root:/bin/sh\n", perms(0644));
    writeFile(root_ / "etc" / "group", "root:x:0:\nshadow:x:42:\n", perms(0644));
    writeFile(root_ / "etc" / "shadow", "root:*:19000:0:99999:7:::\n", perms(0640));
    writeFile(root_ / "etc" / "gshadow", "root:*::\nshadow:*::\n", perms(0640));
    writeFile(root_ / "bin" / "sh", "", perms(0755));
    writeFile(root_ / "usr" / "sbin" / "nologin", "", perms(0755));
    std::filesystem::create_directories(root_ / "root");

    // Homes are recorded with their host path; inside a chroot to the root, this relative
    // link leads that path back to the root.
    const std::filesystem::path relative = root_.relative_path();
    auto mirror = root_ / relative;
    std::filesystem::create_directories(mirror.parent_path());
    std::filesystem::path up;
    for (auto it = relative.begin(); std::next(it) != relative.end(); ++it)
        up /= "..";
    std::filesystem::create_directory_symlink(up.empty() ? "." : up, mirror);
}

TenantWorld::~TenantWorld()
{
    std::error_code ignored;
    std::filesystem::remove_all(base_, ignored);
}

Config TenantWorld::config(uid_t uidMin, uid_t uidMax) const
{
    Config config;
    config.accountRoot = root_;
    config.usersBase = usersBase();
    config.stateDirectory = stateDirectory();
    config.uidMin = uidMin;
    config.uidMax = uidMax;
    return config;
}

std::vector<PasswdEntry> TenantWorld::users() const
{
    std::vector<PasswdEntry> entries;
    for (const auto& line : readLines(root_ / "etc" / "passwd")) {
        if (auto entry = parsePasswdLine(line))
            entries.push_back(*entry);
    }
    return entries;
}

std::vector<GroupEntry> TenantWorld::groups() const
{
    std::vector<GroupEntry> entries;
    for (const auto& line : readLines(root_ / "etc" / "group")) {
        if (auto entry = parseGroupLine(line))
            entries.push_back(*entry);
    }
    return entries;
}

void TenantWorld::appendLine(const std::string& file, const std::string& line) const
{
    std::ofstream(root_ / "etc" / file, std::ios::app) << line << "\n";
}

std::string TenantWorld::accountCheckErrors() const
{
    std::string errors = runCapturingOutput("pwck -r -R '" + root_.string() + "'");
    errors += runCapturingOutput("grpck -r -R '" + root_.string() + "'");
    for (const char* name : {"passwd", "group", "shadow", "gshadow"}) {
        struct stat file {};
        struct stat backup {};
        auto path = root_ / "etc" / name;
        if (::stat(path.c_str(), &file) == 0 && ::stat((path.string() + "-").c_str(), &backup) == 0 &&
            file.st_ino == backup.st_ino)
            errors += path.string() + "- is a link to " + path.string() + "\n";
    }
    return errors;
}

} // namespace pactown::test
