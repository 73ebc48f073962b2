-- POSTs one OIP binary-tensor infer request over and over (wrk -s bench/serve_wrk.lua URL).
-- INR_WRK_BODY: the request body (JSON header + raw tensor); INR_WRK_HEADER_LEN: the header's length.
local f = assert(io.open(os.getenv("INR_WRK_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/octet-stream"
wrk.headers["Inference-Header-Content-Length"] = os.getenv("INR_WRK_HEADER_LEN")
