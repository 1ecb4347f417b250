-- wrk script: POST pre-signed bodies, each once, spread over wrk's threads.
-- Arguments (after `--`): the request path, a file of "signature<TAB>body" lines, wrk's thread count.
local count = 0

function setup(thread)
  thread:set("offset", count)
  count = count + 1
end

function init(args)
  path = args[1]
  sigs, bodies = {}, {}
  for line in io.lines(args[2]) do
    local sig, body = line:match("^([^\t]*)\t(.*)$")
    sigs[#sigs + 1] = sig
    bodies[#bodies + 1] = body
  end
  n = offset
  step = tonumber(args[3])
end

function request()
  local i = (n % #bodies) + 1
  n = n + step
  local headers = {["Content-Type"] = "application/json", ["X-Hub-Signature-256"] = sigs[i]}
  return wrk.format("POST", path, headers, bodies[i])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "non2xx": %d, '
      .. '"connect": %d, "read": %d, "write": %d, "timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect, e.read, e.write, e.timeout))
end
