/**
 * The waiting room's decisions on Redis, each one Lua script (ADR 0011): Redis runs a script
 * alone, so a decision taken by one replica sees every earlier one, whichever replica took it.
 * Every script gets the same twelve keys (`KEY_NAMES`, one hash tag, so they share a slot) and
 * answers one JSON document. Every script but the loader's first checks the marker key: without
 * it the state was lost (a flush, a restart of Redis) and it answers `{"e":"NOSTATE"}`, so the
 * caller rebuilds the state from the database and asks again.
 *
 * Times are the caller's clock (`PLATFORM.Clock`, passed as ARGV), never Redis's: the rules are
 * the ones of `domain/admission-rules.ts` and `domain/admission-meter.ts`, held to the same HTTP
 * tests as the in-memory store.
 *
 * A live token is one field of the hash `t` (seq → `token|user|state|created|seen|lastPoll|advised|expires|since`):
 * - `W` waiting, `A` active: recorded in the database;
 * - `JW`, `JA`: a join decided here (waiting, or let in at once) whose row is being written;
 * - `AD`: admitted here, its activation being written. A pending token is counted against the
 *   cap and in the order, but nobody is told ACTIVE before the database says so
 *   (`settle` / `admitted` confirm it, `forget` drops it; the leader's sweep settles the pending
 *   ones a stopped replica left behind, from what the database says).
 */

export const KEY_NAMES = [
  'ready', // marker: present while the state is complete
  'bytoken', // hash token → seq
  'byuser', // hash user → seq (one live token per user)
  't', // hash seq → the token's fields
  'waiting', // zset seq → seq: the order and the positions (ZRANK)
  'seen', // zset last seen → seq (W only): idle drops
  'active', // zset pass expiry → seq (A, JA, AD): the cap and pass expiry
  'adm', // zset admitted at → seq, the last minute: the per-second window
  'meter', // hash: token bucket and observed rate
  'flow', // hash: maxActive, admitPerSecond in force
  'seq', // counter: arrival sequence
  'pending', // zset since → seq: pending tokens (JW, JA, AD)
] as const;

const PRELUDE = `
local K_READY, K_TOKEN, K_USER, K_T, K_WAIT, K_SEEN, K_ACTIVE, K_ADM, K_METER, K_FLOW, K_SEQ, K_PEND =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10], KEYS[11], KEYS[12]

local function fmt(x) return string.format('%.17g', x) end
local function clamp(v, lo, hi) return math.min(hi, math.max(lo, v)) end

local function load(seq)
  local s = redis.call('HGET', K_T, seq)
  if not s then return nil end
  local f = {}
  for part in string.gmatch(s, '[^|]+') do f[#f + 1] = part end
  return { token = f[1], user = f[2], st = f[3], created = tonumber(f[4]), seen = tonumber(f[5]),
    lastPoll = tonumber(f[6]), advised = tonumber(f[7]), exp = tonumber(f[8]), since = tonumber(f[9]) }
end

local function save(seq, r)
  redis.call('HSET', K_T, seq, table.concat({ r.token, r.user, r.st, fmt(r.created), fmt(r.seen),
    fmt(r.lastPoll), fmt(r.advised), fmt(r.exp), fmt(r.since) }, '|'))
end

-- Removes a token from every structure; true when it held a slot.
local function remove(seq, r)
  redis.call('HDEL', K_T, seq)
  if redis.call('HGET', K_TOKEN, r.token) == seq then redis.call('HDEL', K_TOKEN, r.token) end
  if redis.call('HGET', K_USER, r.user) == seq then redis.call('HDEL', K_USER, r.user) end
  redis.call('ZREM', K_WAIT, seq)
  redis.call('ZREM', K_SEEN, seq)
  redis.call('ZREM', K_ACTIVE, seq)
  redis.call('ZREM', K_PEND, seq)
  return r.st == 'A' or r.st == 'JA' or r.st == 'AD'
end

local function flow()
  local f = redis.call('HMGET', K_FLOW, 'maxActive', 'admitPerSecond')
  return tonumber(f[1]), tonumber(f[2])
end

-- AdmissionMeter: the token bucket refilled to now (not stored: refilling is the same whenever it is done).
local function refill(now, perSecond)
  local b = redis.call('HMGET', K_METER, 'bucket', 'bucketAt')
  local bucket, at = tonumber(b[1]), tonumber(b[2])
  if bucket == nil then return perSecond, now end
  bucket = math.min(perSecond, bucket + math.max(0, now - at) * perSecond / 1000)
  return bucket, math.max(at, now)
end

-- AdmissionMeter.allowance: what the per-second window (sliding log) and the pacing leave.
local function allowance(now, perSecond)
  local bucket = refill(now, perSecond)
  local inWindow = redis.call('ZCOUNT', K_ADM, '(' .. fmt(now - 1000), '+inf')
  return math.max(0, math.min(perSecond - inWindow, math.floor(bucket)))
end

-- AdmissionMeter.record
local function record(now, seqs, perSecond)
  if #seqs == 0 then return end
  local bucket, at = refill(now, perSecond)
  redis.call('HSET', K_METER, 'bucket', fmt(math.max(0, bucket - #seqs)), 'bucketAt', fmt(at))
  for _, seq in ipairs(seqs) do redis.call('ZADD', K_ADM, now, seq) end
  redis.call('ZREMRANGEBYSCORE', K_ADM, '-inf', fmt(now - 60000))
end

-- AdmissionMeter.observe: the moving average of admissions while people were left waiting.
local function observe(now, admitted, backlog, perSecond)
  local m = redis.call('HMGET', K_METER, 'sampleStart', 'sampled', 'rate')
  local start, sampled, rate = tonumber(m[1]), tonumber(m[2]) or 0, tonumber(m[3])
  if (not backlog) or start == nil or now < start then
    redis.call('HSET', K_METER, 'sampleStart', fmt(now), 'sampled', '0')
    return
  end
  sampled = sampled + admitted
  local elapsed = now - start
  if elapsed < 1000 then
    redis.call('HSET', K_METER, 'sampled', fmt(sampled))
    return
  end
  local instant = sampled / (elapsed / 1000)
  local alpha = 1 - math.exp(-elapsed / 30000)
  local previous = rate or perSecond
  redis.call('HSET', K_METER, 'rate', fmt(previous + alpha * (instant - previous)), 'sampleStart', fmt(now), 'sampled', '0')
end

-- LiveQueue.expectedRate: the observed average within the configured rate and the floor.
local function expectedRate(ttlSec)
  local maxActive, perSecond = flow()
  local floor = math.min(perSecond, maxActive / ttlSec)
  local observed = tonumber(redis.call('HGET', K_METER, 'rate')) or perSecond
  return math.min(perSecond, math.max(floor, observed))
end

-- Recorded counts (what the database holds): the pending tokens (few: only those in flight) are left out.
local function recordedCounts()
  local waiting, active = redis.call('ZCARD', K_WAIT), redis.call('ZCARD', K_ACTIVE)
  for _, seq in ipairs(redis.call('ZRANGE', K_PEND, 0, -1)) do
    local r = load(seq)
    if r ~= nil then
      if r.st == 'JW' then waiting = waiting - 1 else active = active - 1 end
    end
  end
  return waiting, active
end

-- admission-rules.isOver
local function isOver(r, now, idleMs)
  if r.st == 'W' then return now - r.seen >= idleMs end
  if r.st == 'JW' then return false end
  return now >= r.exp
end

-- LiveQueue.answer: the view, which also starts the interval the next poll is held to.
local function answer(seq, r, now, idleSec, ttlSec, maxPoll)
  r.seen = now
  local out = { r = 'ok', token = r.token, user = tonumber(r.user), st = 'W', pos = 0, wait = 0, pollAfter = 0, exp = r.exp }
  if r.st == 'A' then
    out.st = 'A'
    out.pollAfter = clamp(math.ceil((r.exp - now) / 1000), 1, maxPoll)
  else
    if r.st == 'W' then
      redis.call('ZADD', K_SEEN, now, seq)
      out.pos = redis.call('ZRANK', K_WAIT, seq) + 1
    else
      -- Admitted here, not yet recorded: still shown at the head until the database says ACTIVE.
      out.pos = 1
    end
    -- estimatedWaitSeconds: a paused room (cap 0) assumes at least one admission an hour.
    out.wait = math.ceil(out.pos / math.max(expectedRate(ttlSec), 1 / 3600))
    out.pollAfter = clamp(math.ceil(out.wait / 10), 1, clamp(math.floor(idleSec / 3), 1, maxPoll))
  end
  r.lastPoll = now
  r.advised = out.pollAfter * 1000
  save(seq, r)
  return out
end

-- Places a token recorded in the database (W or A) in every structure, or confirms a pending one.
local function place(seq, token, user, st, created, exp, now)
  local r = load(seq)
  if r == nil then
    r = { token = token, user = user, st = st, created = created, seen = now, lastPoll = -1, advised = 0, exp = exp, since = now }
  end
  r.st = st
  r.exp = exp
  redis.call('HSET', K_TOKEN, token, seq)
  redis.call('HSET', K_USER, user, seq)
  redis.call('ZREM', K_PEND, seq)
  if st == 'W' then
    redis.call('ZADD', K_WAIT, seq, seq)
    redis.call('ZADD', K_SEEN, r.seen, seq)
    redis.call('ZREM', K_ACTIVE, seq)
  else
    redis.call('ZREM', K_WAIT, seq)
    redis.call('ZREM', K_SEEN, seq)
    redis.call('ZADD', K_ACTIVE, exp, seq)
  end
  save(seq, r)
  return r
end
`;

const GUARD = `
if redis.call('EXISTS', K_READY) == 0 then return '{"e":"NOSTATE"}' end
`;

/** Each script: what it decides and what it guarantees. Names become ioredis commands (`defineCommand`). */
export const QUEUE_SCRIPTS = {
  /**
   * `GET /queue/status`. Finds the token, refuses a poll sooner than the advised interval (the
   * throttle holds whichever replica the polls reach, since the last poll is kept here and
   * checked and updated in one step), otherwise answers from the live state: the position is the
   * token's ZRANK among the waiting ones (O(log n), no scan). A refused poll still counts as seen.
   * ARGV: token, user, now, idleSec, ttlSec, throttle (0|1), maxPoll, tolerance.
   */
  qStatus: `
local token, user, now, idleSec, ttlSec, throttle, maxPoll, tolerance =
  ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6], tonumber(ARGV[7]), tonumber(ARGV[8])
local seq = redis.call('HGET', K_TOKEN, token)
if not seq then return '{"r":"missing"}' end
local r = load(seq)
if r == nil then return '{"r":"missing"}' end
if r.user ~= user then return '{"r":"notmine"}' end
if r.st == 'JW' or r.st == 'JA' then return '{"r":"pending"}' end
if isOver(r, now, idleSec * 1000) then return '{"r":"over"}' end
if throttle == '1' and r.lastPoll >= 0 and now - r.lastPoll < r.advised * tolerance then
  r.seen = now
  if r.st == 'W' then redis.call('ZADD', K_SEEN, now, seq) end
  save(seq, r)
  return cjson.encode({ r = 'throttled', retry = math.max(1, math.ceil((r.lastPoll + r.advised - now) / 1000)), advised = r.advised })
end
return cjson.encode(answer(seq, r, now, idleSec, ttlSec, maxPoll))
`,

  /**
   * `POST /queue/token`, step one. One live token per user: a user's live token is answered
   * again (and restarts the poll interval); while one of their joins is being recorded the answer
   * is "pending" (the caller asks again), so concurrent clicks on any replicas get one token.
   * Otherwise a new token takes the next arrival number (FIFO is the order of this decision) and
   * is let in at once only if nobody is waiting and both the cap and the rate allow; it is
   * pending (JW/JA) until the database has its row.
   * ARGV: user, now, token, idleSec, ttlSec, maxPoll, passExpiresAt.
   */
  qJoin: `
local user, now, token, idleSec, ttlSec, maxPoll, passExpiresAt =
  ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local out = { r = 'new' }
local current = redis.call('HGET', K_USER, user)
if current then
  local r = load(current)
  if r ~= nil then
    if r.st == 'JW' or r.st == 'JA' then return cjson.encode({ r = 'pending', seq = tonumber(current) }) end
    if not isOver(r, now, idleSec * 1000) then
      local view = answer(current, r, now, idleSec, ttlSec, maxPoll)
      view.r = 'existing'
      return cjson.encode(view)
    end
    -- Over (idle or expired): the new token replaces it; the database ends it with the insert.
    out.prevSeq = tonumber(current)
    out.prevSt = r.st
  end
end
local seq = tostring(redis.call('INCR', K_SEQ))
local maxActive, perSecond = flow()
local r = { token = token, user = user, st = 'JW', created = now, seen = now, lastPoll = -1, advised = 0, exp = -1, since = now }
if redis.call('ZCARD', K_WAIT) == 0 and redis.call('ZCARD', K_ACTIVE) < maxActive and allowance(now, perSecond) >= 1 then
  r.st = 'JA'
  r.exp = passExpiresAt
  redis.call('ZADD', K_ACTIVE, passExpiresAt, seq)
  record(now, { seq }, perSecond)
else
  redis.call('ZADD', K_WAIT, seq, seq)
end
save(seq, r)
redis.call('HSET', K_TOKEN, token, seq)
redis.call('HSET', K_USER, user, seq)
redis.call('ZADD', K_PEND, now, seq)
out.seq = tonumber(seq)
out.st = (r.st == 'JA') and 'A' or 'W'
out.exp = r.exp
return cjson.encode(out)
`,

  /**
   * A token as the database records it (W or A) takes its place: confirms a pending join, or
   * re-adds a live token Redis does not know (lost in a flush, left by a stopped replica). It
   * never invents a state: the caller read or wrote it in the database. Also ends the user's
   * previous token (`prevSeq`, ended in the same transaction as the insert). With answer = 1 it
   * answers as a poll would.
   * ARGV: seq, token, user, state, created, expires, now, prevSeq|'', idleSec, ttlSec, maxPoll, answer.
   */
  qSettle: `
local seq, token, user, st, created, exp, now, prevSeq, idleSec, ttlSec, maxPoll, wantAnswer =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8],
  tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11]), ARGV[12]
if prevSeq ~= '' and prevSeq ~= seq then
  local prev = load(prevSeq)
  if prev ~= nil then remove(prevSeq, prev) end
end
local r = place(seq, token, user, st, created, exp, now)
if wantAnswer ~= '1' then return '{"r":"ok"}' end
return cjson.encode(answer(seq, r, now, idleSec, ttlSec, maxPoll))
`,

  /**
   * Drops tokens the database has ended (left, completed, expired, idle) or never recorded (a
   * join whose insert failed). Idempotent; answers how many slots this freed.
   * ARGV: seq…
   */
  qForget: `
local freed = 0
for i = 1, #ARGV do
  local r = load(ARGV[i])
  if r ~= nil and remove(ARGV[i], r) then freed = freed + 1 end
end
return cjson.encode({ freed = freed })
`,

  /**
   * The admission cycle's first step: the active tokens whose pass has expired and the waiting
   * ones last seen at or before the idle cutoff, oldest first (read only: the caller ends them in
   * the database, guarded by their status so each is dropped once, then forgets them).
   * ARGV: now, idleCutoff, limit.
   */
  qDue: `
local now, cutoff, limit = ARGV[1], ARGV[2], tonumber(ARGV[3])
local expired, idle = {}, {}
for _, seq in ipairs(redis.call('ZRANGEBYSCORE', K_ACTIVE, '-inf', now, 'LIMIT', 0, limit)) do
  local r = load(seq)
  if r ~= nil and r.st == 'A' then expired[#expired + 1] = tonumber(seq) end
end
for _, seq in ipairs(redis.call('ZRANGEBYSCORE', K_SEEN, '-inf', cutoff, 'LIMIT', 0, limit)) do idle[#idle + 1] = tonumber(seq) end
return cjson.encode({ expired = expired, idle = idle })
`,

  /**
   * The admission decision: at most maxActive − (active + reserved), at most what the
   * per-second window and the pacing allow, the head of the queue in arrival order (stopping at a
   * join not yet recorded, so nobody overtakes it). Across replicas this is the only place a
   * waiting token is let in, so the cap and the rate hold whatever the concurrency. The chosen
   * tokens are reserved (AD): counted against the cap, shown as the head, until the database
   * records the activation (`qAdmitted`). Feeds the observed rate. At most `batch` at a time, so
   * one script, one transaction and one confirmation stay small whatever the flow allows.
   * ARGV: now, passExpiresAt, batch.
   */
  qReserve: `
local now, passExpiresAt, batch = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local maxActive, perSecond = flow()
local n = math.min(maxActive - redis.call('ZCARD', K_ACTIVE), allowance(now, perSecond), redis.call('ZCARD', K_WAIT), batch)
local chosen = {}
if n > 0 then
  for _, seq in ipairs(redis.call('ZRANGE', K_WAIT, 0, n - 1)) do
    local r = load(seq)
    if r == nil or r.st ~= 'W' then break end
    r.st = 'AD'
    r.exp = passExpiresAt
    r.since = now
    save(seq, r)
    redis.call('ZREM', K_WAIT, seq)
    redis.call('ZREM', K_SEEN, seq)
    redis.call('ZADD', K_ACTIVE, passExpiresAt, seq)
    redis.call('ZADD', K_PEND, now, seq)
    chosen[#chosen + 1] = seq
  end
  record(now, chosen, perSecond)
end
observe(now, #chosen, redis.call('ZCARD', K_WAIT) > 0, perSecond)
local seqs = {}
for i, seq in ipairs(chosen) do seqs[i] = tonumber(seq) end
local waiting, active = recordedCounts()
return cjson.encode({ seqs = seqs, waiting = waiting, active = active })
`,

  /**
   * The database has recorded (ok = 1) or refused (0: the token ended meanwhile) reserved
   * admissions: recorded ones become ACTIVE, refused ones give their slot back.
   * ARGV: seq, ok, seq, ok, …
   */
  qAdmitted: `
local freed = 0
for i = 1, #ARGV, 2 do
  local seq = ARGV[i]
  local r = load(seq)
  if r ~= nil and r.st == 'AD' then
    if ARGV[i + 1] == '1' then
      r.st = 'A'
      save(seq, r)
      redis.call('ZREM', K_PEND, seq)
    elseif remove(seq, r) then
      freed = freed + 1
    end
  end
end
return cjson.encode({ freed = freed })
`,

  /**
   * Pending tokens older than the grace period (a replica stopped between its decision and its
   * write): the leader settles each from what the database says. Read only.
   * ARGV: olderThan, limit.
   */
  qPendingDue: `
local items = {}
for _, seq in ipairs(redis.call('ZRANGEBYSCORE', K_PEND, '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))) do
  local r = load(seq)
  if r == nil then
    redis.call('ZREM', K_PEND, seq)
  else
    items[#items + 1] = { seq = tonumber(seq), st = r.st, exp = r.exp, since = r.since }
  end
end
return cjson.encode({ items = items })
`,

  /**
   * `GET /admin/queue` and the gauges: one consistent snapshot of the counts as recorded (pending
   * tokens left out: they are not WAITING or ACTIVE in the database yet), the flow, the last
   * minute's admissions, the head's arrival time and the expected rate. Read only.
   * ARGV: now, ttlSec.
   */
  qOverview: `
local now, ttlSec = tonumber(ARGV[1]), tonumber(ARGV[2])
local maxActive, perSecond = flow()
local oldest = -1
local head = redis.call('ZRANGE', K_WAIT, 0, 0)
if head[1] then
  local r = load(head[1])
  if r ~= nil then oldest = r.created end
end
local waiting, active = recordedCounts()
return cjson.encode({ waiting = waiting, active = active, maxActive = maxActive,
  admitPerSecond = perSecond, admissionsPerMinute = redis.call('ZCOUNT', K_ADM, '(' .. fmt(now - 60000), '+inf'),
  oldestCreated = oldest, rate = expectedRate(ttlSec) })
`,

  /**
   * The flow in force, after the database has stored the operator's change (or the leader
   * re-read it). ARGV: maxActive, admitPerSecond.
   */
  qSetFlow: `
redis.call('HSET', K_FLOW, 'maxActive', ARGV[1], 'admitPerSecond', ARGV[2])
return '{"r":"ok"}'
`,

  /**
   * Rebuild, step one (run only by the holder of the rebuild lock, while the marker is absent, so
   * no decision runs meanwhile): places a chunk of the database's live tokens, active ones first.
   * ARGV: now, then seq, token, user, state, created, expires per token.
   */
  qLoad: `
local now = tonumber(ARGV[1])
for i = 2, #ARGV, 6 do
  place(ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], tonumber(ARGV[i + 4]), tonumber(ARGV[i + 5]), now)
end
return '{"r":"ok"}'
`,

  /**
   * Rebuild, last step: the flow, the arrival counter (past every seq the database or an
   * in-flight join may hold), the meter restored from the last minute's activations
   * (AdmissionMeter.restore), then the marker: from here on every replica decides again.
   * ARGV: now, maxActive, admitPerSecond, nextSeqFloor, generation, then seq, activatedAt per admission.
   */
  qFinishLoad: `
local now, perSecond = tonumber(ARGV[1]), tonumber(ARGV[3])
redis.call('HSET', K_FLOW, 'maxActive', ARGV[2], 'admitPerSecond', ARGV[3])
local current = tonumber(redis.call('GET', K_SEQ)) or 0
if current < tonumber(ARGV[4]) then redis.call('SET', K_SEQ, ARGV[4]) end
for i = 6, #ARGV, 2 do redis.call('ZADD', K_ADM, ARGV[i + 1], ARGV[i]) end
redis.call('ZREMRANGEBYSCORE', K_ADM, '-inf', fmt(now - 60000))
local inWindow = redis.call('ZCOUNT', K_ADM, '(' .. fmt(now - 1000), '+inf')
redis.call('HSET', K_METER, 'bucket', fmt(math.max(0, perSecond - inWindow)), 'bucketAt', fmt(now))
redis.call('SET', K_READY, ARGV[5])
return '{"r":"ok"}'
`,
} as const;

export type QueueScriptName = keyof typeof QUEUE_SCRIPTS;

/** The script's source as Redis runs it: the shared functions, the marker check (not for the loader), the body. */
export function scriptSource(name: QueueScriptName): string {
  const guarded = name !== 'qLoad' && name !== 'qFinishLoad';
  return `${PRELUDE}${guarded ? GUARD : ''}${QUEUE_SCRIPTS[name]}`;
}
