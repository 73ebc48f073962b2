// inr::serve(): the HTTP side of the OIP server, on Boost.Beast (the research note's pick: async on Asio,
// so an idle keep-alive connection holds no thread; Debian security support).
//
// Threads: `http_threads` run the io_context. Each connection lives on its own strand: reading, routing,
// input parsing and image preprocessing happen there; inference happens on the model's batcher thread,
// which hands the outputs back by posting to the connection's strand, where the response is encoded and
// written. A connection object stays alive while a request of it is queued (the batcher's callback holds
// it), which is what lets shutdown wait for in-flight requests by counting live connections.
#include <atomic>
#include <chrono>
#include <csignal>
#include <list>
#include <memory>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>  // before Boost 1.74's asio/awaitable.hpp, which uses std::exchange without it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/file.h"
#include "inr/serve.h"
#include "serve/metrics.h"
#include "serve/oip.h"
#include "serve/repository.h"

namespace inr {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using nlohmann::json;
using serving::Clock;

struct Reply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::optional<size_t> json_length;  // Inference-Header-Content-Length
  std::string model;                  // metrics label
  bool inference = false;             // an inference result (counted for the shutdown message)
};

Reply ok_reply(std::string body, std::string content_type = "application/json", std::string model = "") {
  return Reply{200, std::move(body), std::move(content_type), std::nullopt, std::move(model)};
}

Reply error_reply(int status, const std::string& message, std::string model = "") {
  return Reply{status, json{{"error", message}}.dump(), "application/json", std::nullopt, std::move(model)};
}

std::vector<std::string> split_path(std::string_view target) {
  const size_t q = target.find('?');
  if (q != std::string_view::npos) target = target.substr(0, q);
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos <= target.size()) {
    size_t next = target.find('/', pos);
    if (next == std::string_view::npos) next = target.size();
    if (next > pos) parts.emplace_back(target.substr(pos, next - pos));
    pos = next + 1;
  }
  return parts;
}

class Server;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket&& socket, Server& server);
  ~Connection();
  void start() {
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Connection::read, shared_from_this()));
  }
  // Shutdown: a connection waiting for a request that has not begun is closed; one in the middle of a
  // request, or with one in flight, finishes it (and is closed after the response).
  void close_if_idle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      // Bytes already in the socket or the buffer are a request the client sent: read and answer it.
      beast::error_code ec;
      const bool pending = self->buffer_.size() > 0 || self->stream_.socket().available(ec) > 0;
      if (self->state_ == State::kReading && !(self->parser_ && self->parser_->got_some()) && !pending)
        self->stream_.cancel();
    });
  }
  // After the drain timeout: close whatever the connection is doing (a queued request still completes in
  // its batcher; writing its answer then fails and the connection goes).
  void force_close() {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->stream_.close(); });
  }
  // Runs `make` (returning a Reply) on the connection's strand and writes its reply.
  template <typename F>
  void send_encoded(F make) {
    net::post(stream_.get_executor(), [self = shared_from_this(), make = std::move(make)]() mutable { self->write(make()); });
  }
  // Thread-safe: the reply is written on the connection's strand.
  void send(Reply reply) {
    net::post(stream_.get_executor(), [self = shared_from_this(), r = std::move(reply)]() mutable { self->write(std::move(r)); });
  }

 private:
  enum class State { kStarting, kReading, kBusy, kWriting };
  void read();
  void on_read(beast::error_code ec, size_t bytes);
  void write(Reply reply);
  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Server& server_;
  State state_ = State::kStarting;
  bool keep_alive_ = true;
  Clock::time_point started_;
};

class Server {
 public:
  Server(const ServeOptions& options, serving::Repository& repo, serving::Metrics& metrics, net::io_context& ioc)
      : options_(options), repo_(repo), metrics_(metrics), ioc_(ioc), acceptor_(net::make_strand(ioc)),
        signals_(acceptor_.get_executor(), SIGTERM, SIGINT), drain_timer_(acceptor_.get_executor()) {}

  Status listen() {
    beast::error_code ec;
    auto address = net::ip::make_address(options_.host, ec);
    if (ec) return error("--host {}: {}", options_.host, ec.message());
    tcp::endpoint ep(address, static_cast<unsigned short>(options_.http_port));
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return error("cannot listen on {}:{}: {}", options_.host, options_.http_port, ec.message());
    port_ = acceptor_.local_endpoint().port();
    signals_.async_wait([this](beast::error_code e, int signal) {
      if (!e) drain(signal);
    });
    accept();
    return Status::ok();
  }
  int port() const { return port_; }

  const ServeOptions& options() const { return options_; }
  serving::Metrics& metrics() { return metrics_; }
  bool draining() const { return draining_.load(); }
  void handle(http::request<http::string_body>&& req, const std::shared_ptr<Connection>& conn);
  void connection_opened() { ++live_; }
  void connection_closed() {
    if (--live_ == 0 && draining_) net::post(acceptor_.get_executor(), [this] { finish(); });
  }
  std::string shutdown_note() const { return shutdown_note_; }
  void inference_answered() { ++inferences_; }
  int64_t inferences() const { return inferences_.load(); }

 private:
  void accept() {
    acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
      if (ec || draining_) return;  // acceptor closed
      auto conn = std::make_shared<Connection>(std::move(socket), *this);
      conns_.remove_if([](const std::weak_ptr<Connection>& w) { return w.expired(); });
      conns_.push_back(conn);
      conn->start();
      accept();
    });
  }
  // On the acceptor's strand.
  void drain(int signal) {
    if (options_.log) options_.log(fmt::format("signal {}: no new connections; finishing the requests in flight", signal));
    draining_ = true;
    beast::error_code ec;
    acceptor_.close(ec);
    for (auto& w : conns_)
      if (auto c = w.lock()) c->close_if_idle();
    drain_timer_.expires_after(std::chrono::milliseconds(options_.drain_timeout_ms));
    drain_timer_.async_wait([this](beast::error_code e) {
      if (e || live_ == 0) return;  // cancelled: drained in time
      // The io_context keeps running until the last connection is gone (their handlers refer to this
      // Server), so the connections are closed rather than the context stopped.
      shutdown_note_ = fmt::format("{} connection(s) closed by the drain timeout", live_.load());
      for (auto& w : conns_)
        if (auto c = w.lock()) c->force_close();
    });
    if (live_ == 0) finish();
  }
  void finish() {
    drain_timer_.cancel();
    ioc_.stop();
  }
  Reply route(http::request<http::string_body>& req, const std::shared_ptr<Connection>& conn, bool& async);
  Reply model_metadata(serving::ModelVersion& m);
  void infer(serving::ModelVersion& m, http::request<http::string_body>& req, const std::shared_ptr<Connection>& conn);

  const ServeOptions& options_;
  serving::Repository& repo_;
  serving::Metrics& metrics_;
  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  net::signal_set signals_;
  net::steady_timer drain_timer_;
  std::list<std::weak_ptr<Connection>> conns_;  // on the acceptor's strand only
  std::atomic<int> live_{0};
  std::atomic<int64_t> inferences_{0};
  std::atomic<bool> draining_{false};
  int port_ = 0;
  std::string shutdown_note_;
};

Connection::Connection(tcp::socket&& socket, Server& server) : stream_(std::move(socket)), server_(server) {
  server_.connection_opened();
}

Connection::~Connection() { server_.connection_closed(); }

void Connection::read() {
  if (server_.draining() || !keep_alive_) return close();
  parser_.emplace();
  parser_->body_limit(static_cast<uint64_t>(server_.options().max_body_bytes));
  state_ = State::kReading;
  stream_.expires_after(std::chrono::milliseconds(server_.options().request_timeout_ms));
  http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Connection::on_read, shared_from_this()));
}

void Connection::on_read(beast::error_code ec, size_t) {
  if (ec == http::error::body_limit) {
    keep_alive_ = false;
    state_ = State::kBusy;
    started_ = Clock::now();
    return write(error_reply(413, fmt::format("request body over the server's limit of {} bytes",
                                              server_.options().max_body_bytes)));
  }
  if (ec) {
    // A request that started but is not valid HTTP gets a 400; a closed, timed-out or cancelled idle
    // connection just closes.
    if (parser_ && parser_->got_some() && ec != beast::error::timeout && ec != net::error::operation_aborted &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      keep_alive_ = false;
      state_ = State::kBusy;
      started_ = Clock::now();
      return write(error_reply(400, fmt::format("malformed HTTP request: {}", ec.message())));
    }
    return close();
  }
  state_ = State::kBusy;
  stream_.expires_never();
  started_ = Clock::now();
  http::request<http::string_body> req = parser_->release();
  keep_alive_ = req.keep_alive();
  server_.handle(std::move(req), shared_from_this());
}

void Connection::write(Reply r) {
  server_.metrics().request(r.model, r.status, std::chrono::duration<double>(Clock::now() - started_).count());
  auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), 11);
  res->set(http::field::server, "inr/" INR_VERSION);
  res->set(http::field::content_type, r.content_type);
  if (r.json_length) res->set("Inference-Header-Content-Length", std::to_string(*r.json_length));
  res->body() = std::move(r.body);
  keep_alive_ = keep_alive_ && !server_.draining();
  res->keep_alive(keep_alive_);
  res->prepare_payload();
  state_ = State::kWriting;
  stream_.expires_after(std::chrono::milliseconds(server_.options().request_timeout_ms));
  http::async_write(stream_, *res, [self = shared_from_this(), res, inference = r.inference](beast::error_code ec, size_t) {
    if (ec) return self->close();
    if (inference) self->server_.inference_answered();
    self->read();
  });
}

void Server::handle(http::request<http::string_body>&& req, const std::shared_ptr<Connection>& conn) {
  bool async = false;
  Reply r = route(req, conn, async);
  if (!async) conn->send(std::move(r));
}

Reply Server::route(http::request<http::string_body>& req, const std::shared_ptr<Connection>& conn, bool& async) {
  const std::vector<std::string> p = split_path(std::string_view(req.target().data(), req.target().size()));
  const bool get = req.method() == http::verb::get;
  auto method_not_allowed = [&](const char* want) {
    return error_reply(405, fmt::format("{} {} is not allowed; use {}", std::string(req.method_string()),
                                        std::string(req.target()), want));
  };
  if (p.size() == 1 && p[0] == "metrics") {
    if (!get) return method_not_allowed("GET");
    return ok_reply(metrics_.render(), "text/plain; version=0.0.4");
  }
  if (p.empty() || p[0] != "v2") return error_reply(404, fmt::format("no such endpoint: {}", std::string(req.target())));
  if (p.size() == 1) {
    if (!get) return method_not_allowed("GET");
    return ok_reply(json{{"name", "inr"}, {"version", INR_VERSION}, {"extensions", {"binary_tensor_data", "classification"}}}.dump());
  }
  if (p.size() == 3 && p[1] == "health" && (p[2] == "live" || p[2] == "ready")) {
    if (!get) return method_not_allowed("GET");
    // Ready means every model is loaded and warmed up, which serve() finishes before it listens; a
    // draining server is live but not ready (load balancers stop sending).
    if (p[2] == "ready" && draining()) return error_reply(503, "shutting down");
    return ok_reply("", "text/plain");
  }
  if (p.size() >= 3 && p[1] == "models") {
    const std::string& name = p[2];
    size_t i = 3;
    int64_t version = 0;
    std::string version_text;
    if (p.size() >= 5 && p[3] == "versions") {
      version_text = p[4];
      try {
        size_t used = 0;
        version = std::stoll(version_text, &used);
        if (used != version_text.size() || version < 1) version = -1;
      } catch (...) {
        version = -1;
      }
      i = 5;
    }
    serving::ModelVersion* m = version < 0 ? nullptr : repo_.find(name, version);
    if (!m) {
      if (repo_.versions(name).empty()) return error_reply(404, fmt::format("unknown model '{}'", name));
      return error_reply(404, fmt::format("model '{}' has no version '{}'", name, version_text));
    }
    if (p.size() == i) {
      if (!get) return method_not_allowed("GET");
      return model_metadata(*m);
    }
    if (p.size() == i + 1 && p[i] == "ready") {
      if (!get) return method_not_allowed("GET");
      return ok_reply("", "text/plain", m->metrics_name);
    }
    if (p.size() == i + 1 && p[i] == "infer") {
      if (req.method() != http::verb::post) return method_not_allowed("POST");
      async = true;
      infer(*m, req, conn);
      return {};
    }
  }
  return error_reply(404, fmt::format("no such endpoint: {}", std::string(req.target())));
}

Reply Server::model_metadata(serving::ModelVersion& m) {
  auto io = [](const IoInfo& i) {
    return json{{"name", i.name}, {"datatype", std::string(serving::oip_datatype(i.dtype))}, {"shape", i.shape}};
  };
  json j = {{"name", m.name}, {"platform", "onnx_onnxv1"}};
  json versions = json::array();
  for (int64_t v : repo_.versions(m.name)) versions.push_back(std::to_string(v));
  j["versions"] = versions;
  j["inputs"] = json::array({io(m.signature.input)});
  j["outputs"] = json::array();
  for (const IoInfo& o : m.signature.outputs) j["outputs"].push_back(io(o));
  // Not in the protocol's required fields: how this server batches and preprocesses (extra keys are allowed).
  j["parameters"] = {{"max_batch_size", m.signature.max_batch},
                     {"preset", m.preset},
                     {"image_input", m.signature.images}};
  return ok_reply(j.dump(), "application/json", m.metrics_name);
}

void Server::infer(serving::ModelVersion& m, http::request<http::string_body>& req, const std::shared_ptr<Connection>& conn) {
  const std::string& label = m.metrics_name;
  std::optional<size_t> json_length;
  auto header = req.find("Inference-Header-Content-Length");
  if (header != req.end()) {
    const std::string v(header->value());
    size_t used = 0;
    unsigned long long n = 0;
    try {
      n = std::stoull(v, &used);
    } catch (...) {
      used = 0;
    }
    if (v.empty() || used != v.size())
      return conn->send(error_reply(400, fmt::format("Inference-Header-Content-Length '{}' is not a number", v), label));
    json_length = static_cast<size_t>(n);
  }
  auto body = std::make_shared<std::string>(std::move(req.body()));
  auto request = serving::parse_infer_request(*body, json_length);
  if (!request) return conn->send(error_reply(400, request.status().message(), label));
  Status st = serving::check_outputs(*request, m.signature);
  if (!st) return conn->send(error_reply(400, st.message(), label));
  // One Preprocessor per I/O thread and model (it keeps decoder state and scratch buffers).
  thread_local std::unordered_map<const serving::ModelVersion*, std::unique_ptr<image::Preprocessor>> preprocessors;
  auto& pre = preprocessors[&m];
  if (!pre) pre = std::make_unique<image::Preprocessor>(m.spec, m.decode);
  auto input = serving::input_tensor(*request, m.signature, *pre);
  if (!input) return conn->send(error_reply(400, input.status().message(), label));
  request->inputs.clear();  // views into the body, which is not kept
  auto shared_request = std::make_shared<serving::InferRequest>(std::move(*request));
  serving::ModelVersion* model = &m;
  const std::string version = std::to_string(m.version);
  const bool queued = m.batcher->submit(std::move(*input), [conn, shared_request, model, version](Result<std::vector<Tensor>> out) {
    if (!out) return conn->send(error_reply(503, out.status().message(), model->metrics_name));
    // Encoding happens on the connection's strand, not on the batcher's thread.
    auto outputs = std::make_shared<std::vector<Tensor>>(std::move(*out));
    conn->send_encoded([shared_request, model, version, outputs] {
      serving::EncodedResponse e = serving::encode_infer_response(*shared_request, model->signature, model->name, version, *outputs);
      return Reply{200, std::move(e.body), e.json_length ? "application/octet-stream" : "application/json", e.json_length,
                   model->metrics_name, true};
    });
  });
  if (!queued)
    conn->send(error_reply(503, draining() ? "shutting down" : fmt::format("the queue of model '{}' is full", m.name), label));
}

}  // namespace

Status serve(const ServeOptions& options) {
  if (options.http_threads < 1) return error("--http-threads must be >= 1");
  serving::Metrics metrics;
  INR_ASSIGN_OR_RETURN(std::unique_ptr<serving::Repository> repo, serving::Repository::load(options, metrics));
  net::io_context ioc(options.http_threads);
  Server server(options, *repo, metrics, ioc);
  // Block SIGTERM/SIGINT default handling before threads start: Asio's signal_set catches them.
  INR_TRY(server.listen());
  if (options.log)
    options.log(fmt::format("listening on http://{}:{} ({} model version{})", options.host, server.port(),
                            repo->all().size(), repo->all().size() == 1 ? "" : "s"));
  if (!options.port_file.empty()) INR_TRY(write_file_atomic(options.port_file, std::to_string(server.port()) + "\n"));
  std::vector<std::thread> threads;
  for (int i = 1; i < options.http_threads; ++i) threads.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();
  repo->stop();
  if (options.log) {
    std::string note = server.shutdown_note();
    options.log(fmt::format("stopped: {} inference results sent{}", server.inferences(), note.empty() ? "" : "; " + note));
  }
  return Status::ok();
}

}  // namespace inr
