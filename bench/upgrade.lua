-- wrk script for the hot-upgrade scenario: tallies statuses and which plugin version
-- answered (the bench-trivial measure `nilai` is its major version).
local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    ok, bad, v1, v2 = 0, 0, 0, 0
end

function response(status, headers, body)
    if status == 200 then
        ok = ok + 1
        if string.find(body, '"nilai":1[,}]') then v1 = v1 + 1 end
        if string.find(body, '"nilai":2[,}]') then v2 = v2 + 1 end
    else
        bad = bad + 1
    end
end

function done(summary, latency, requests)
    local t = { ok = 0, bad = 0, v1 = 0, v2 = 0 }
    for _, thread in ipairs(threads) do
        for k, _ in pairs(t) do t[k] = t[k] + thread:get(k) end
    end
    io.write(string.format("TALLY ok=%d bad=%d v1=%d v2=%d errors=%d\n", t.ok, t.bad, t.v1, t.v2,
        summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
end
