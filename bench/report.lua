-- wrk script shared by every scenario in bench/run.sh.
--
-- * If BENCH_ID_MAX is set, each request asks for a different row:
--     BENCH_PATH_PREFIX .. id .. BENCH_PATH_SUFFIX
--   with id = (n * 7919) % BENCH_ID_MAX + 1 for the n-th request. 7919 is prime and does not
--   divide 10^k, so for the usual row counts the ids walk the whole table in a scattered,
--   deterministic order: both servers get exactly the same sequence of ids. Otherwise the URL
--   given on wrk's command line is requested as is.
-- * done() prints one machine-readable line, BENCH key=value ..., that run.sh parses
--   (latencies in microseconds).

local id_max = tonumber(os.getenv("BENCH_ID_MAX") or "")
local prefix = os.getenv("BENCH_PATH_PREFIX") or ""
local suffix = os.getenv("BENCH_PATH_SUFFIX") or ""
local counter = 0

if id_max then
  request = function()
    counter = counter + 1
    local id = (counter * 7919) % id_max + 1
    return wrk.format(nil, prefix .. id .. suffix)
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d bytes=%d rps=%.2f p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%.1f " ..
    "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
    summary.requests, summary.duration, summary.bytes,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout))
end
