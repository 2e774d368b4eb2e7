-- wrk script for the portal's benchmark: counts responses that are not 2xx
-- (wrk itself counts only >= 400), and prints one line of JSON at the end
-- with requests/s and latency percentiles (microseconds), for bench.py.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non2xx") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "rps": %.3f, ' ..
    '"p50_us": %.1f, "p95_us": %.1f, "p99_us": %.1f, "max_us": %.1f, "non2xx": %d, ' ..
    '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    bad, e.connect, e.read, e.write, e.timeout))
end
