#include "http_request.h"

#include "http_error.h"

#include <gtest/gtest.h>

namespace pactown::gateway {
namespace {

int statusOfParsing(const std::string& head)
{
    try {
        parseRequestHead(head);
    } catch (const HttpError& error) {
        return error.status();
    }
    return 0;
}

TEST(HttpRequestParser, ParsesRequestLineAndHeaderFields)
{
    const HttpRequest request = parseRequestHead(
        "GET /runner/isolation/user/a%7Cb/stats?x=1 HTTP/1.1\r\nHost: localhost\r\nX-Thing:  spaced value \t\r\n\r\n");

    EXPECT_EQ(request.method, "GET");
    EXPECT_EQ(request.target, "/runner/isolation/user/a%7Cb/stats?x=1");
    EXPECT_EQ(request.path, "/runner/isolation/user/a%7Cb/stats");
    EXPECT_EQ(request.query, "x=1");
    EXPECT_EQ(request.minorVersion, 1);
    ASSERT_NE(request.header("x-thing"), nullptr);
    EXPECT_EQ(*request.header("x-thing"), "spaced value");
    EXPECT_EQ(request.header("authorization"), nullptr);
}

TEST(HttpRequestParser, AcceptsHttp10WithoutHost)
{
    const HttpRequest request = parseRequestHead("GET / HTTP/1.0\r\n\r\n");

    EXPECT_EQ(request.minorVersion, 0);
    EXPECT_TRUE(request.headers.empty());
}

TEST(HttpRequestParser, RejectsMalformedRequestLines)
{
    const std::vector<std::string> requestLines = {
        "",
        "GET",
        "GET /",
        "GET  / HTTP/1.1",
        "GET / HTTP/1.1 ",
        "GET / HTTP/1.1 extra",
        " GET / HTTP/1.1",
        "G(T / HTTP/1.1",
        "GET http://example.com/ HTTP/1.1",
        "OPTIONS * HTTP/1.1",
        "GET /a\x01 HTTP/1.1",
        "GET /\x80 HTTP/1.1",
        "GET / http/1.1",
        "GET / HTTP/1",
        "GET / HTTP/1.1x",
    };
    for (const std::string& line : requestLines)
        EXPECT_EQ(statusOfParsing(line + "\r\nHost: h\r\n\r\n"), 400) << "request line '" << line << "'";
}

TEST(HttpRequestParser, RejectsOtherHttpVersionsWith505)
{
    EXPECT_EQ(statusOfParsing("GET / HTTP/2.0\r\nHost: h\r\n\r\n"), 505);
    EXPECT_EQ(statusOfParsing("GET / HTTP/1.2\r\nHost: h\r\n\r\n"), 505);
}

TEST(HttpRequestParser, RejectsMalformedHeaderFields)
{
    const std::vector<std::string> fields = {
        "Host : h",                 // blank before the colon
        "NoColon",                  // no colon at all
        ": value",                  // empty name
        " folded continuation",     // obsolete line folding
        "X-A: one\x01two",          // control character in the value
        "X-A: one\x7ftwo",          // DEL in the value
        "X(A): v",                  // name is not a token
    };
    for (const std::string& field : fields)
        EXPECT_EQ(statusOfParsing("GET / HTTP/1.1\r\nHost: h\r\n" + field + "\r\n\r\n"), 400) << "field '" << field << "'";
}

TEST(HttpRequestParser, RejectsBareLineFeedsAndCarriageReturns)
{
    EXPECT_EQ(statusOfParsing("GET / HTTP/1.1\nHost: h\r\n\r\n"), 400);
    EXPECT_EQ(statusOfParsing("GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n"), 400);
    EXPECT_EQ(statusOfParsing("GET / HTTP/1.1\r\nHost: h\n\n"), 400);
}

TEST(HttpRequestParser, RequiresOneHostInHttp11)
{
    EXPECT_EQ(statusOfParsing("GET / HTTP/1.1\r\n\r\n"), 400);
    EXPECT_EQ(statusOfParsing("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
}

TEST(HttpRequestParser, LimitsHeaderFieldCount)
{
    std::string head = "GET / HTTP/1.1\r\nHost: h\r\n";
    for (size_t i = 1; i < kMaxHeaderFields; ++i)
        head += "X-" + std::to_string(i) + ": v\r\n";
    EXPECT_EQ(statusOfParsing(head + "\r\n"), 0);
    EXPECT_EQ(statusOfParsing(head + "X-Last: v\r\n\r\n"), 431);
}

TEST(HttpRequestParser, ReportsDuplicatedFieldOnLookup)
{
    const HttpRequest request = parseRequestHead("GET / HTTP/1.1\r\nHost: h\r\nAuthorization: a\r\nauthorization: b\r\n\r\n");

    EXPECT_THROW(request.header("authorization"), InvalidRequestError);
}

int statusOfBodyLength(const std::string& fields, size_t maxBody = 100)
{
    try {
        requestBodyLength(parseRequestHead("POST / HTTP/1.1\r\nHost: h\r\n" + fields + "\r\n"), maxBody);
    } catch (const HttpError& error) {
        return error.status();
    }
    return 0;
}

TEST(HttpRequestBody, ReadsContentLength)
{
    EXPECT_EQ(requestBodyLength(parseRequestHead("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 42\r\n\r\n"), 100), 42U);
    EXPECT_EQ(requestBodyLength(parseRequestHead("GET / HTTP/1.1\r\nHost: h\r\n\r\n"), 100), 0U);
}

TEST(HttpRequestBody, RejectsInvalidAndOversizedBodies)
{
    EXPECT_EQ(statusOfBodyLength("Content-Length: 101\r\n"), 413);
    EXPECT_EQ(statusOfBodyLength("Content-Length: 99999999999999999999999\r\n"), 400);
    EXPECT_EQ(statusOfBodyLength("Content-Length: +5\r\n"), 400);
    EXPECT_EQ(statusOfBodyLength("Content-Length: -5\r\n"), 400);
    EXPECT_EQ(statusOfBodyLength("Content-Length: 5, 5\r\n"), 400);
    EXPECT_EQ(statusOfBodyLength("Content-Length: \r\n"), 400);
    EXPECT_EQ(statusOfBodyLength("Content-Length: 5\r\nContent-Length: 6\r\n"), 400);
    EXPECT_EQ(statusOfBodyLength("Transfer-Encoding: chunked\r\n"), 501);
}

} // namespace
} // namespace pactown::gateway
