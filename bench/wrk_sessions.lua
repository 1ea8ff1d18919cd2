-- wrk script for `make bench`: every request takes the next (cookie, path) pair from a file,
-- so the connections use real, different sessions instead of one cached page for one user.
--   wrk -s bench/wrk_sessions.lua http://127.0.0.1:PORT -- pairs.tsv
-- pairs.tsv holds one "cookie<TAB>path" per line (the cookie may be empty).
-- It also counts every status code, because wrk itself counts a 302 (say, to the login page
-- when a session is not valid) as a success; the runner refuses any status but 200.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  requests = {}
  for line in io.lines(args[1]) do
    local cookie, path = line:match("^([^\t]*)\t(%S+)$")
    if path then
      local headers = {}
      if cookie ~= "" then
        headers["Cookie"] = cookie
      end
      table.insert(requests, wrk.format("GET", path, headers))
    end
  end
  if #requests == 0 then
    error("no (cookie, path) pairs in " .. tostring(args[1]))
  end
  -- Threads start at different places in the list so they do not walk in step.
  index = (id * 7) % #requests
  statuses = {}
end

function request()
  index = index % #requests + 1
  return requests[index]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      totals[status] = (totals[status] or 0) + count
    end
  end
  for status, count in pairs(totals) do
    io.write(string.format("bench-status %d %d\n", status, count))
  end
end
