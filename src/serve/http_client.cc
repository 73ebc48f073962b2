#include "serve/http_client.h"

#include <utility>  // before Boost 1.74's asio (std::exchange)

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace inr::serving {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

Result<Url> parse_url(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) return error("URL '{}': only http://host[:port]/path is supported", url);
  std::string rest = url.substr(scheme.size());
  const size_t slash = rest.find('/');
  std::string hostport = slash == std::string::npos ? rest : rest.substr(0, slash);
  Url u;
  u.target = slash == std::string::npos ? "/" : rest.substr(slash);
  const size_t colon = hostport.rfind(':');
  u.host = colon == std::string::npos ? hostport : hostport.substr(0, colon);
  u.port = colon == std::string::npos ? "80" : hostport.substr(colon + 1);
  if (u.host.empty() || u.port.empty()) return error("URL '{}': no host or port", url);
  return u;
}

struct HttpClient::Impl {
  std::string host, port;
  net::io_context ioc;
  std::unique_ptr<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
};

HttpClient::HttpClient(std::string host, std::string port) : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->port = std::move(port);
}

HttpClient::~HttpClient() {
  if (impl_->stream) {
    beast::error_code ec;
    impl_->stream->socket().shutdown(tcp::socket::shutdown_both, ec);
  }
}

Result<HttpResponse> HttpClient::request(const std::string& method, const std::string& target, const std::string& body,
                                         const std::vector<std::pair<std::string, std::string>>& headers) {
  http::request<http::string_body> req(method == "GET" ? http::verb::get : http::verb::post, target, 11);
  req.set(http::field::host, impl_->host);
  for (const auto& [k, v] : headers) req.set(k, v);
  req.keep_alive(true);
  if (req.method() == http::verb::post) {
    req.body() = body;
    req.prepare_payload();
  }
  // A kept-alive connection the server closed fails on first use: reconnect once and retry.
  for (int attempt = 0; attempt < 2; ++attempt) {
    beast::error_code ec;
    if (!impl_->stream) {
      tcp::resolver resolver(impl_->ioc);
      auto results = resolver.resolve(impl_->host, impl_->port, ec);
      if (ec) return error("cannot resolve {}:{}: {}", impl_->host, impl_->port, ec.message());
      impl_->stream = std::make_unique<beast::tcp_stream>(impl_->ioc);
      impl_->stream->connect(results, ec);
      if (ec) {
        impl_->stream.reset();
        return error("cannot connect to {}:{}: {}", impl_->host, impl_->port, ec.message());
      }
      impl_->stream->socket().set_option(tcp::no_delay(true), ec);
      impl_->buffer.clear();
    }
    http::write(*impl_->stream, req, ec);
    http::response_parser<http::string_body> parser;
    parser.body_limit(uint64_t{1} << 30);
    if (!ec) http::read(*impl_->stream, impl_->buffer, parser, ec);
    if (ec) {
      impl_->stream.reset();
      if (attempt == 0) continue;
      return error("{} {}: {}", method, target, ec.message());
    }
    auto res = parser.release();
    HttpResponse r;
    r.status = static_cast<int>(res.result_int());
    auto it = res.find("Inference-Header-Content-Length");
    if (it != res.end()) r.json_length = std::string(it->value());
    r.body = std::move(res.body());
    if (!res.keep_alive()) impl_->stream.reset();
    return r;
  }
  return error("{} {}: failed", method, target);
}

}  // namespace inr::serving
