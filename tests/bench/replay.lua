-- replay.lua — wrk script for tests/bench/bench.py: sends requests read from
-- a file, each formatted once at start-up, in turn. Thread k of T takes
-- lines k, k + T, k + 2T, ... so no two threads send the same line at the
-- same time, and a pool of one-time requests (first joins) is used once
-- each before any is repeated.
--
--   wrk -tT ... -s replay.lua URL -- FILE T
--
-- FILE: one request per line, tab-separated: METHOD, PATH, bearer TOKEN
-- and, for a POST, a JSON BODY.

local nthreads = 0

function setup(thread)
   thread:set("tid", nthreads)
   nthreads = nthreads + 1
end

local reqs, n

function init(args)
   local total = tonumber(args[2]) or 1
   local k = 0
   reqs = {}
   for line in io.lines(args[1]) do
      if line ~= "" then
         if k % total == (tid or 0) then
            local method, path, token, body = line:match("^(%u+)\t([^\t]+)\t([^\t]+)\t?(.*)$")
            assert(method, "bad line: " .. line)
            local h = { ["Authorization"] = "Bearer " .. token }
            if body == "" then
               body = nil
            else
               h["Content-Type"] = "application/json"
            end
            reqs[#reqs + 1] = wrk.format(method, path, h, body)
         end
         k = k + 1
      end
   end
   assert(#reqs > 0, args[1] .. " has no line for thread " .. tostring(tid))
   n = 0
end

function request()
   n = n + 1
   if n > #reqs then
      n = 1
   end
   return reqs[n]
end
