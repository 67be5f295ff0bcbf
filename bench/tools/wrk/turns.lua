-- turns.lua - wrk script for PorBot's benchmarks: POSTs Teams message activities at a bot and prints one
-- machine-readable line at the end. Each request has a unique activity id; conversations and users rotate.
--
--   SERVICE_URL=http://127.0.0.1:3980/ TEXT=help wrk -t2 -c32 -d10s -s turns.lua http://127.0.0.1:3978/api/messages
--
-- Environment:
--   SERVICE_URL    where the bot posts its replies (our fake connector), required
--   TEXT           the message text, or
--   TEXTS_FILE     a file with one message text per line, sent in turn (a mix of turns)
--   TENANT         the Teams tenant id of the users (lookups need a tenant mapped to a partner); default t1
--   CONVERSATIONS  personal chats to spread over, one user each (default 64)
--   DELAY_MS       pause before each request on a connection: a fixed moderate rate (default 0, flat out)
-- Last line of output: WRK_RESULT {"requests":..,"duration_us":..,"p50_us":..,"p99_us":..,"errors":{..}}

local serviceUrl = assert(os.getenv("SERVICE_URL"), "SERVICE_URL is required")
local tenant = os.getenv("TENANT") or "t1"
local conversations = tonumber(os.getenv("CONVERSATIONS") or "64")
local delayMs = tonumber(os.getenv("DELAY_MS") or "0")

local function escape(s) return (s:gsub('\\', '\\\\'):gsub('"', '\\"')) end

local texts = {}
if os.getenv("TEXTS_FILE") then
  for line in io.lines(os.getenv("TEXTS_FILE")) do
    if line:match("%S") then texts[#texts + 1] = escape(line) end
  end
else
  texts[1] = escape(os.getenv("TEXT") or "help")
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local threadCount = 0
function setup(thread)
  threadCount = threadCount + 1
  thread:set("tid", threadCount)
end

-- Per worker thread (each has its own Lua state): tid comes from setup().
local n = 0
function request()
  n = n + 1
  local c = (n * 7 + (tid or 0)) % conversations + 1
  local body = '{"type":"message","id":"bench-' .. (tid or 0) .. '-' .. n .. '","text":"' .. texts[(n - 1) % #texts + 1] .. '",' ..
    '"channelId":"msteams","serviceUrl":"' .. serviceUrl .. '",' ..
    '"from":{"id":"29:user-' .. c .. '","name":"Bench User ' .. c .. '","aadObjectId":"' .. string.format("00000000-0000-4000-8000-%012d", c) .. '"},' ..
    '"recipient":{"id":"28:porbot-bench","name":"Bot"},' ..
    '"conversation":{"id":"a:bench-conv-' .. c .. '","conversationType":"personal","tenantId":"' .. tenant .. '"},' ..
    '"channelData":{"tenant":{"id":"' .. tenant .. '"}},"locale":"en-US","timestamp":"2026-01-01T00:00:00.000Z"}'
  return wrk.format(nil, nil, nil, body)
end

if delayMs > 0 then
  function delay() return delayMs end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"mean_us":%.1f,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, summary.bytes, latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
