-- zoom.lua — wrk script for tests/bench/zoom_bench.py: one create per
-- request, each with a title no other has.
--
--   wrk ... -s zoom.lua URL -- MODE TOKEN TAG
--
-- MODE meetd-zoom / meetd-native: POST /api/v1/meetings (platform zoom, or
-- meetd's own room); MODE fake: POST /v2/users/me/meetings on the Zoom fake
-- with the body meetd sends Zoom, so the fake does the same work for both.

local mode, headers, tag, n

function init(args)
   mode, tag = args[1], args[3] or "run"
   headers = { ["Authorization"] = "Bearer " .. args[2], ["Content-Type"] = "application/json",
               ["Accept"] = "application/json" }
   n = 0
end

function request()
   n = n + 1
   local when = os.date("!%Y-%m-%dT%H:%M:%SZ", os.time() + 86400 + n * 60)
   if mode == "fake" then
      -- meetd sends each create on a fresh connection (an unsafe request is
      -- never re-sent on a reused one): so does this
      headers["Connection"] = "close"
      local body = string.format(
         '{"topic":"Bench %s %d","type":2,"start_time":"%s","duration":45,"timezone":"Europe/Paris",'
         .. '"agenda":"Weekly planning\\n\\nmeetd:01BENCH%019d","settings":{"waiting_room":true,'
         .. '"join_before_host":false}}', tag, n, when, n)
      return wrk.format("POST", "/v2/users/me/meetings", headers, body)
   end
   local platform = mode == "meetd-zoom" and ',"platform":"zoom"' or ""
   local body = string.format(
      '{"title":"Bench %s %d","description":"Weekly planning","scheduled_for":"%s","duration":45,'
      .. '"timezone":"Europe/Paris"%s}', tag, n, when, platform)
   return wrk.format("POST", "/api/v1/meetings", headers, body)
end
