#include "http_response.h"

namespace pactown::gateway {

HttpResponse makeErrorResponse(int status, const std::string& name, const std::string& message)
{
    HttpResponse response;
    response.status = status;
    response.body = {{"error", name}, {"message", message}};
    return response;
}

const char* reasonPhrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

std::string serializeResponse(const HttpResponse& response)
{
    std::string body = response.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    body += '\n';

    std::string message = "HTTP/1.1 " + std::to_string(response.status) + " " + reasonPhrase(response.status) + "\r\n";
    message += "Content-Type: application/json\r\n";
    message += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    message += "Cache-Control: no-store\r\n";
    message += "Connection: close\r\n";
    for (const auto& [name, value] : response.headers)
        message += name + ": " + value + "\r\n";
    message += "\r\n";
    message += body;
    return message;
}

} // namespace pactown::gateway
