-- create.lua — wrk script for tests/bench/bench.py: POST /api/v1/meetings,
-- each request with a title no other request of the run has (thread number
-- and counter after a tag that bench.py makes unique per wrk run), a
-- scheduled_for spread over the next 90 days, and the bearer token of one of
-- several users in turn, so that load and limiter keys are spread as with
-- real clients.
--
--   wrk ... -s create.lua URL -- TOKENFILE TAG
--
-- TOKENFILE holds one token per line. The same script drives the write
-- ceiling (fcgi-insert), which ignores the body, so that nginx handles the
-- same request there.

local nthreads = 0

function setup(thread)
   thread:set("tid", nthreads)
   nthreads = nthreads + 1
end

local function read_lines(path)
   local lines = {}
   for line in io.lines(path) do
      if line ~= "" then
         lines[#lines + 1] = line
      end
   end
   assert(#lines > 0, path .. " is empty")
   return lines
end

local headers, n, tag

function init(args)
   local tokens = read_lines(args[1])
   tag = args[2] or "run"
   headers = {}
   for i, t in ipairs(tokens) do
      headers[i] = { ["Authorization"] = "Bearer " .. t,
                     ["Content-Type"] = "application/json" }
   end
   n = 0
   math.randomseed(os.time() + 7919 * (tid or 0))
end

local zones = { "UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo" }

function request()
   n = n + 1
   local when = os.date("!%Y-%m-%dT%H:%M:%SZ", os.time() + math.random(3600, 90 * 86400))
   local body = string.format(
      '{"title":"Bench %s %d-%d","description":"Weekly planning, agenda in the shared folder",'
      .. '"scheduled_for":"%s","duration":%d,"timezone":"%s"}',
      tag, tid or 0, n, when, 15 * math.random(1, 8), zones[n % #zones + 1])
   return wrk.format("POST", "/api/v1/meetings", headers[n % #headers + 1], body)
end
