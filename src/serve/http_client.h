// A small blocking HTTP/1.1 client on Boost.Beast: one keep-alive connection, reconnected when the server
// closed it. For `inr loadgen --url`. Not thread-safe: one client per thread.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "inr/status.h"

namespace inr::serving {

struct Url {
  std::string host;
  std::string port;
  std::string target;  // path, starting with '/'
};
Result<Url> parse_url(const std::string& url);  // http://host[:port]/path only

struct HttpResponse {
  int status = 0;
  std::string body;
  std::string json_length;  // Inference-Header-Content-Length, "" when absent
};

class HttpClient {
 public:
  HttpClient(std::string host, std::string port);
  ~HttpClient();
  // GET when body is empty and method is "GET", else POST.
  Result<HttpResponse> request(const std::string& method, const std::string& target, const std::string& body,
                               const std::vector<std::pair<std::string, std::string>>& headers = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace inr::serving
