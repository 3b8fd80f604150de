#include "accounts/account_files.h"

#include <pactown/errors.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pactown {
namespace {

TEST(AccountFileLines, ParsesAndFormatsPasswd)
{
    const std::string line = "pactown_b4c9a289:x:65536:65536::/home/pactown_users/pactown_b4c9a289:/usr/sbin/nologin";
    auto entry = parsePasswdLine(line);
    ASSERT_TRUE(entry);
    EXPECT_EQ(entry->name, "pactown_b4c9a289");
    EXPECT_EQ(entry->password, "x");
    EXPECT_EQ(entry->uid, 65536u);
    EXPECT_EQ(entry->gid, 65536u);
    EXPECT_EQ(entry->gecos, "");
    EXPECT_EQ(entry->home, "/home/pactown_users/pactown_b4c9a289");
    EXPECT_EQ(entry->shell, "/usr/sbin/nologin");
    EXPECT_EQ(formatPasswdLine(*entry), line);
}

TEST(AccountFileLines, ParsesAndFormatsGroupMembers)
{
    auto entry = parseGroupLine("adm:x:4:syslog,alice");
    ASSERT_TRUE(entry);
    EXPECT_EQ(entry->gid, 4u);
    EXPECT_EQ(entry->members, (std::vector<std::string>{"syslog", "alice"}));
    EXPECT_EQ(formatGroupLine(*entry), "adm:x:4:syslog,alice");

    auto empty = parseGroupLine("nogroup:x:65534:");
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->members.empty());
    EXPECT_EQ(formatGroupLine(*empty), "nogroup:x:65534:");
}

TEST(AccountFileLines, ParsesAndFormatsShadowAndGshadow)
{
    const std::string shadowLine = "root:$y$j9T$abc:19700:0:99999:7:::";
    auto shadow = parseShadowLine(shadowLine);
    ASSERT_TRUE(shadow);
    EXPECT_EQ(shadow->password, "$y$j9T$abc");
    EXPECT_EQ(shadow->lastChangeDays, "19700");
    EXPECT_EQ(shadow->warnDays, "7");
    EXPECT_EQ(shadow->expireDays, "");
    EXPECT_EQ(formatShadowLine(*shadow), shadowLine);

    auto gshadow = parseGshadowLine("sudo:*:root:alice,bob");
    ASSERT_TRUE(gshadow);
    EXPECT_EQ(gshadow->admins, std::vector<std::string>{"root"});
    EXPECT_EQ(gshadow->members, (std::vector<std::string>{"alice", "bob"}));
    EXPECT_EQ(formatGshadowLine(*gshadow), "sudo:*:root:alice,bob");
}

TEST(AccountFileLines, ReturnsNulloptForNonEntries)
{
    for (const char* line : {"", "   ", "# comment:x:0:0::/:/bin/sh", "+", "+nisuser::::::", "-baduser::::::",
                             "short:x:1", "toolong:x:1:1:g:/h:/s:extra", "bad:x:abc:1::/:/bin/sh",
                             "neg:x:-1:1::/:/bin/sh", "huge:x:4294967296:1::/:/bin/sh",
                             "invalid:x:4294967295:1::/:/bin/sh"})
        EXPECT_FALSE(parsePasswdLine(line)) << line;
    EXPECT_FALSE(parseGroupLine("g:x:1"));
    EXPECT_FALSE(parseShadowLine("s:!*:1:::::"));
    EXPECT_FALSE(parseGshadowLine("g:!*:"));
}

TEST(AccountFileLines, FormatRejectsSeparatorsInFields)
{
    PasswdEntry entry{"user", "x", 70000, 70000, "evil:gecos", "/home/user", "/bin/sh"};
    EXPECT_THROW(formatPasswdLine(entry), InvalidArgumentError);
    entry.gecos = "two\nlines";
    EXPECT_THROW(formatPasswdLine(entry), InvalidArgumentError);
    entry.gecos = "Full Name,Room,Phone";
    EXPECT_NO_THROW(formatPasswdLine(entry));

    EXPECT_THROW(formatGroupLine({"g", "x", 1, {"a,b"}}), InvalidArgumentError);
    EXPECT_THROW(formatGshadowLine({"g", "!*", {"a:b"}, {}}), InvalidArgumentError);
}

TEST(AccountFileLines, EntryNameSkipsCommentsAndNis)
{
    EXPECT_EQ(entryName("root:x:0:0::/root:/bin/sh"), "root");
    EXPECT_EQ(entryName("malformed"), "malformed");
    EXPECT_FALSE(entryName("#root:x:0:0::/root:/bin/sh"));
    EXPECT_FALSE(entryName("+@netgroup"));
    EXPECT_FALSE(entryName("-user"));
    EXPECT_FALSE(entryName(""));
    EXPECT_FALSE(entryName(" \t"));
}

TEST(AccountFileText, RoundTripsByteForByte)
{
    const std::vector<std::string> contents = {
        "",
        "\n",
        "\n\n",
        "root:x:0:0:root:/root:/bin/bash\n",
        "root:x:0:0:root:/root:/bin/bash",
        "# comment\n\nroot:x:0:0::/:/bin/sh\n+::::::\n",
        "crlf:x:1:1::/:/bin/sh\r\nlast-without-newline",
        "  indented garbage line\nroot:x:0:0::/:/bin/sh\n\n",
    };
    for (const auto& content : contents) {
        auto file = AccountFile::parse(content);
        EXPECT_EQ(file.serialize(), content);
        EXPECT_FALSE(file.changed());
    }
}

TEST(AccountFileText, InsertsBeforeFirstNisLine)
{
    auto file = AccountFile::parse("root:x:0:0::/:/bin/sh\n+@admins::::::\n-baduser::::::\n");
    file.insertEntry("new:x:70000:70000::/h:/usr/sbin/nologin");
    EXPECT_EQ(file.serialize(),
              "root:x:0:0::/:/bin/sh\nnew:x:70000:70000::/h:/usr/sbin/nologin\n+@admins::::::\n-baduser::::::\n");
    EXPECT_TRUE(file.changed());
}

TEST(AccountFileText, InsertAfterLastLineWithoutNewline)
{
    auto file = AccountFile::parse("root:x:0:0::/:/bin/sh");
    file.insertEntry("new:x:1:1::/:/bin/sh");
    EXPECT_EQ(file.serialize(), "root:x:0:0::/:/bin/sh\nnew:x:1:1::/:/bin/sh\n");

    auto empty = AccountFile::parse("");
    empty.insertEntry("new:x:1:1::/:/bin/sh");
    EXPECT_EQ(empty.serialize(), "new:x:1:1::/:/bin/sh\n");
}

TEST(AccountFileText, RemovesNamedEntriesOnly)
{
    auto file = AccountFile::parse("# gone:x:1:1::/:/bin/sh\nroot:x:0:0::/:/bin/sh\ngone:x:1:1::/:/bin/sh\n"
                                   "+gone::::::\nkeep:x:2:2::/:/bin/sh");
    EXPECT_EQ(file.removeEntries({"gone", "absent"}), 1u);
    EXPECT_EQ(file.serialize(), "# gone:x:1:1::/:/bin/sh\nroot:x:0:0::/:/bin/sh\n+gone::::::\nkeep:x:2:2::/:/bin/sh");
    EXPECT_TRUE(file.changed());

    EXPECT_EQ(file.removeEntries({"keep"}), 1u);
    EXPECT_EQ(file.serialize(), "# gone:x:1:1::/:/bin/sh\nroot:x:0:0::/:/bin/sh\n+gone::::::\n");
}

TEST(AccountFileText, RemovingNothingLeavesFileUnchanged)
{
    auto file = AccountFile::parse("root:x:0:0::/:/bin/sh\n");
    EXPECT_EQ(file.removeEntries({"absent"}), 0u);
    EXPECT_FALSE(file.changed());
}

} // namespace
} // namespace pactown
