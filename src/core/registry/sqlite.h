#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace pactown::sqlite {

class Database;

// A prepared statement, owned by the statement cache of a Database. A Query borrows it for one
// execution.
class Statement {
public:
    Statement(Database& database, std::string_view sql);
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    sqlite3_stmt* handle() const { return statement_; }
    const std::string& sql() const { return sql_; }

private:
    sqlite3_stmt* statement_ = nullptr;
    std::string sql_;
};

// One execution of a cached statement: binds parameters (1-based), steps through the rows and
// resets the statement when it goes out of scope, so that no read transaction stays open.
// Every failure throws SystemError with the database path and SQLite's message.
class Query {
public:
    Query(Database& database, Statement& statement);
    ~Query();
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;

    Query& bind(int index, std::string_view text);
    Query& bind(int index, int64_t value);
    Query& bind(int index, double value);
    Query& bindNull(int index);

    // Advances to the next row; false when there is none left.
    bool step();
    // Runs a statement that returns no rows.
    void run();

    std::string textColumn(int index) const;
    int64_t integerColumn(int index) const;
    double realColumn(int index) const;

private:
    Database& database_;
    Statement& statement_;
};

// A connection to one database file, with a cache of prepared statements. Not thread-safe:
// the owner serialises access. Closing does not throw.
class Database {
public:
    // Opens an existing file read-write; never creates it, because the caller creates the file
    // itself with the mode it wants. Throws SystemError.
    explicit Database(const std::filesystem::path& path);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    // Runs one or more statements that return no rows. Throws SystemError.
    void execute(std::string_view sql);
    // Runs like execute() but returns false instead of throwing when the database is locked
    // by another connection.
    bool executeUnlessBusy(std::string_view sql);
    // Returns a Query on the cached statement for sql, preparing it on first use.
    Query query(std::string_view sql);
    // True while an explicit transaction is open.
    bool inTransaction() const;
    // Rows changed by the last INSERT, UPDATE or DELETE.
    int64_t changes() const;

    const std::filesystem::path& path() const { return path_; }
    sqlite3* handle() const { return database_; }

    // Throws SystemError "database '<path>': <what>: <SQLite message>".
    [[noreturn]] void throwError(std::string_view what) const;

private:
    sqlite3* database_ = nullptr;
    std::filesystem::path path_;
    std::unordered_map<std::string, std::unique_ptr<Statement>> statements_;
};

} // namespace pactown::sqlite
