#include "registry/sqlite.h"

#include <pactown/errors.h>

#include <sqlite3.h>

namespace pactown::sqlite {

Statement::Statement(Database& database, std::string_view sql)
    : sql_(sql)
{
    int result = sqlite3_prepare_v3(database.handle(), sql_.data(), static_cast<int>(sql_.size()),
                                    SQLITE_PREPARE_PERSISTENT, &statement_, nullptr);
    if (result != SQLITE_OK)
        database.throwError("failed to prepare '" + sql_ + "'");
}

Statement::~Statement()
{
    sqlite3_finalize(statement_);
}

Query::Query(Database& database, Statement& statement)
    : database_(database)
    , statement_(statement)
{
}

Query::~Query()
{
    sqlite3_reset(statement_.handle());
    sqlite3_clear_bindings(statement_.handle());
}

Query& Query::bind(int index, std::string_view text)
{
    if (sqlite3_bind_text(statement_.handle(), index, text.data(), static_cast<int>(text.size()),
                          SQLITE_TRANSIENT) != SQLITE_OK)
        database_.throwError("failed to bind a parameter of '" + statement_.sql() + "'");
    return *this;
}

Query& Query::bind(int index, int64_t value)
{
    if (sqlite3_bind_int64(statement_.handle(), index, value) != SQLITE_OK)
        database_.throwError("failed to bind a parameter of '" + statement_.sql() + "'");
    return *this;
}

Query& Query::bind(int index, double value)
{
    if (sqlite3_bind_double(statement_.handle(), index, value) != SQLITE_OK)
        database_.throwError("failed to bind a parameter of '" + statement_.sql() + "'");
    return *this;
}

Query& Query::bindNull(int index)
{
    if (sqlite3_bind_null(statement_.handle(), index) != SQLITE_OK)
        database_.throwError("failed to bind a parameter of '" + statement_.sql() + "'");
    return *this;
}

bool Query::step()
{
    int result = sqlite3_step(statement_.handle());
    if (result == SQLITE_ROW)
        return true;
    if (result == SQLITE_DONE)
        return false;
    database_.throwError("'" + statement_.sql() + "' failed");
}

void Query::run()
{
    while (step()) {
    }
}

std::string Query::textColumn(int index) const
{
    auto text = reinterpret_cast<const char*>(sqlite3_column_text(statement_.handle(), index));
    int size = sqlite3_column_bytes(statement_.handle(), index);
    return text ? std::string(text, static_cast<size_t>(size)) : std::string();
}

int64_t Query::integerColumn(int index) const
{
    return sqlite3_column_int64(statement_.handle(), index);
}

double Query::realColumn(int index) const
{
    return sqlite3_column_double(statement_.handle(), index);
}

Database::Database(const std::filesystem::path& path)
    : path_(path)
{
    // NOMUTEX: the owner serialises every access, so SQLite's own connection mutex is redundant.
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
    int result = sqlite3_open_v2(path.c_str(), &database_, flags, nullptr);
    if (result != SQLITE_OK) {
        std::string message = database_ ? sqlite3_errmsg(database_) : sqlite3_errstr(result);
        sqlite3_close_v2(database_);
        throw SystemError("database '" + path.string() + "': failed to open: " + message);
    }
    sqlite3_extended_result_codes(database_, 1);
}

Database::~Database()
{
    // Statements first: sqlite3_close_v2() would otherwise keep the connection as a zombie.
    statements_.clear();
    sqlite3_close_v2(database_);
}

void Database::execute(std::string_view sql)
{
    std::string text(sql);
    if (sqlite3_exec(database_, text.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK)
        throwError("'" + text + "' failed");
}

bool Database::executeUnlessBusy(std::string_view sql)
{
    std::string text(sql);
    int result = sqlite3_exec(database_, text.c_str(), nullptr, nullptr, nullptr);
    if ((result & 0xff) == SQLITE_BUSY || (result & 0xff) == SQLITE_LOCKED)
        return false;
    if (result != SQLITE_OK)
        throwError("'" + text + "' failed");
    return true;
}

Query Database::query(std::string_view sql)
{
    auto found = statements_.find(std::string(sql));
    if (found == statements_.end())
        found = statements_.emplace(std::string(sql), std::make_unique<Statement>(*this, sql)).first;
    return Query(*this, *found->second);
}

bool Database::inTransaction() const
{
    return sqlite3_get_autocommit(database_) == 0;
}

int64_t Database::changes() const
{
    return sqlite3_changes64(database_);
}

void Database::throwError(std::string_view what) const
{
    throw SystemError("database '" + path_.string() + "': " + std::string(what) + ": " +
                      sqlite3_errmsg(database_));
}

} // namespace pactown::sqlite
