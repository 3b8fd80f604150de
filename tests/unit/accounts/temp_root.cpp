#include "temp_root.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace pactown::test {

TempRoot::TempRoot()
{
    std::string pattern = (std::filesystem::temp_directory_path() / "pactown-accounts-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
        throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = pattern;
    std::filesystem::create_directory(etc());
}

TempRoot::~TempRoot()
{
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

void TempRoot::writeFile(const std::string& name, const std::string& content, mode_t mode, uid_t owner,
                         gid_t group) const
{
    auto file = etc() / name;
    {
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out << content;
        ASSERT_TRUE(out.good()) << "cannot write " << file;
    }
    ASSERT_EQ(::chmod(file.c_str(), mode), 0) << file;
    ASSERT_EQ(::chown(file.c_str(), owner, group), 0) << file << ": tests of account files need root";
}

void TempRoot::writeAccountFiles(const std::string& passwd, const std::string& group, const std::string& shadow,
                                 const std::string& gshadow) const
{
    writeFile("passwd", passwd, 0644);
    writeFile("group", group, 0644);
    writeFile("shadow", shadow, 0640, 0, 42);
    writeFile("gshadow", gshadow, 0640, 0, 42);
}

std::string TempRoot::readFile(const std::string& name) const
{
    std::ifstream in(etc() / name, std::ios::binary);
    EXPECT_TRUE(in.good()) << "cannot read " << (etc() / name);
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

struct stat TempRoot::statFile(const std::string& name) const
{
    struct stat status {};
    EXPECT_EQ(::stat((etc() / name).c_str(), &status), 0) << (etc() / name);
    return status;
}

bool TempRoot::exists(const std::string& name) const
{
    return std::filesystem::exists(etc() / name);
}

std::string TempRoot::strayFiles() const
{
    static const std::set<std::string> expected = {
        "passwd", "group", "shadow", "gshadow", "passwd-", "group-", "shadow-", "gshadow-",
        "subuid", "subgid", ".pwd.lock",
    };
    std::string stray;
    for (const auto& entry : std::filesystem::directory_iterator(etc())) {
        std::string name = entry.path().filename().string();
        if (!expected.contains(name))
            stray += name + " ";
    }
    return stray;
}

} // namespace pactown::test
