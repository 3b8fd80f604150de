#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <sys/socket.h>

#include <nlohmann/json.hpp>

namespace pactown::gateway::test {

// A response as the test client received it.
struct ClientResponse {
    int status = 0;
    std::string head; // status line and header fields
    nlohmann::json body;
};

// Connects to the loopback address of `family` (AF_INET or AF_INET6) at `port`.
// Throws std::runtime_error when it cannot.
int connectLoopback(uint16_t port, int family);

// Sends all of `data` on the connected socket `fd`. Throws std::runtime_error on failure.
void sendText(int fd, std::string_view data);

// Reads until the server closes the connection, at most 10 seconds, and parses the
// response. Throws std::runtime_error on a timeout or a malformed response.
ClientResponse readResponse(int fd);

// Connects, sends `request` as given, reads the response and closes.
ClientResponse sendRequest(uint16_t port, std::string_view request, int family = AF_INET);

} // namespace pactown::gateway::test
