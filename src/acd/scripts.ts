// Lua scripts that apply ACD decisions atomically (check-and-set over several keys), so that router
// instances sharing one Redis never offer one agent two calls or one call to two agents, and never
// lose a call. They validate and apply; choosing is policy.ts's job.

// Shared helpers prepended to every script. Keys are built from ARGV[1] (the prefix); the router
// runs against one Redis (not a cluster), where this is allowed.
const LIB = `
local P = ARGV[1]
local function hget(k, f) local v = redis.call('HGET', k, f); if v == false then return nil end; return v end
local function skills_of(agentKey)
  local s = hget(agentKey, 'skills'); if not s then return {} end
  local ok, t = pcall(cjson.decode, s); if not ok or type(t) ~= 'table' then return {} end
  return t
end
-- Every change the ACD decides on (a call's queue place, an agent's readiness) goes into one stream: one entry
-- per script, with a gap-free sequence number and the script's changes as JSON. Each router keeps a replica of
-- the waiting calls and ready agents from it (replica.ts); the script's caller gets the same entry in its reply
-- and applies it at once (done()). Only a change to a waiting call or a ready agent carries its fields.
local CH = {}
local function emit_call(callId, st)
  if st ~= 'queued' then
    table.insert(CH, {k = 'c', id = callId, st = st or 'gone'})
    return
  end
  local f = redis.call('HMGET', P .. 'call:' .. callId, 'skill', 'priority', 'queuedAt', 'tried', 'owner')
  table.insert(CH, {k = 'c', id = callId, st = 'queued', sk = f[1] or '', pr = f[2] or 'normal',
    q = tonumber(f[3] or '0'), t = f[4] or '[]', o = f[5] or ''})
end
local function emit_agent(id, st)
  if st ~= 'ready' then
    table.insert(CH, {k = 'a', id = id, st = st})
    return
  end
  local f = redis.call('HMGET', P .. 'agent:' .. id, 'name', 'extension', 'skills', 'idleSince', 'callsToday')
  table.insert(CH, {k = 'a', id = id, st = 'ready', nm = f[1] or '', x = f[2] or '', sk = f[3] or '{}',
    i = tonumber(f[4] or '0'), ct = tonumber(f[5] or '0')})
end
-- The entry's id is its sequence number: '0-*' makes Redis number the entries 0-1, 0-2, ... with no gap (the
-- last number survives trimming), one command fewer per script than a separate counter.
-- The reply is one string, not an array (a client decodes an array reply markedly slower): the result alone, or
-- with changes '\\1<sequence number>\\t<result>\\t<changes>' (store.ts run()); results are words, never tabs.
local function done(r)
  if #CH == 0 then return r end
  local body = cjson.encode(CH)
  local id = redis.call('XADD', P .. 'acd:stream', 'MAXLEN', '~', 100000, '0-*', 'c', body)
  return '\\1' .. string.sub(id, 3) .. '\\t' .. tostring(r) .. '\\t' .. body
end
local function set_agent(id, state, now, callId, reason)
  local ak = P .. 'agent:' .. id
  if state == 'ready' then
    redis.call('HSET', ak, 'state', state, 'since', now, 'callId', callId, 'reason', reason, 'idleSince', now)
  else
    redis.call('HSET', ak, 'state', state, 'since', now, 'callId', callId, 'reason', reason)
  end
  emit_agent(id, state)
end
local function queue_key(ck)
  return P .. 'queue:' .. hget(ck, 'skill') .. ':' .. (hget(ck, 'priority') or 'normal')
end
`;

/**
 * ARGV: prefix, agentId, state, now, reason, callId, force. Returns the previous state. An agent who
 * is reserved, ringing or talking keeps that state unless force is '1' (the call flow's own moves):
 * a desktop or supervisor change read a moment earlier must not overwrite a reservation.
 */
export const SET_AGENT_STATE = `${LIB}
local id, state, now, reason, callId, force = ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6], ARGV[7]
local ak = P .. 'agent:' .. id
if redis.call('EXISTS', ak) == 0 then return redis.error_reply('unknown-agent') end
local old = hget(ak, 'state') or 'logged_out'
if force ~= '1' and (old == 'reserved' or old == 'ringing' or old == 'talking') then
  return redis.error_reply('agent-busy')
end
set_agent(id, state, now, callId, reason)
if state == 'ready' then redis.call('HSET', ak, 'noAnswerStreak', 0, 'dropStreak', 0) end
return done(old)
`;

/**
 * KEYS: the call's hash, its channel's index. ARGV: call id, ttl, then the hash's field/value pairs. A new call in
 * one command (a MULTI of three cost five commands and five replies); it changes no queue, so no LIB.
 */
export const CREATE_CALL = `
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
return 1
`;

/**
 * ARGV: prefix, agentId, callId, now, wrapupS. Lets the agent go from a call's conversation in one round trip:
 * to wrap-up for wrapupS seconds (0: ready at once), only while the agent is still on that call. Returns the
 * agent's previous state, or '' when the agent is on another call or none (nothing changed).
 */
export const RELEASE_AGENT = `${LIB}
local id, callId, now, wrapupS = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local ak = P .. 'agent:' .. id
local a = redis.call('HMGET', ak, 'callId', 'state')
if a[1] ~= callId then return '' end
if wrapupS > 0 then
  set_agent(id, 'wrapup', now, callId, '')
  -- A conversation took place: the phone is fine.
  redis.call('HSET', ak, 'wrapupUntil', now + wrapupS * 1000, 'dropStreak', 0)
else
  set_agent(id, 'ready', now, '', '')
  redis.call('HSET', ak, 'noAnswerStreak', 0, 'dropStreak', 0)
end
return done(a[2] or 'logged_out')
`;

/**
 * ARGV: prefix, callId, now, then optional field/value pairs set on the call first (its skill, class, queue time:
 * one round trip instead of an HSET and then the script). Puts a call in its queue (skill and class from its hash).
 */
export const ENQUEUE = `${LIB}
local callId, now = ARGV[2], tonumber(ARGV[3])
local ck = P .. 'call:' .. callId
local st = hget(ck, 'state')
if st == 'ended' or st == 'lost' then return redis.error_reply('call-ended') end
if #ARGV > 3 then redis.call('HSET', ck, unpack(ARGV, 4)) end
local queuedAt = tonumber(hget(ck, 'queuedAt') or now)
redis.call('HSET', ck, 'state', 'queued', 'agent', '')
redis.call('ZADD', queue_key(ck), queuedAt, callId)
emit_call(callId, 'queued')
return done('queued')
`;

/**
 * ARGV: prefix, callId, agentId, via, now, ttlS, the deciding router's instance id, '1' for an offer to a named
 * agent (a transfer) instead of a queue decision. Checks the call still waits
 * and the agent is still ready with the skill it was chosen by, and that no caller earlier in its line could take
 * the agent instead, then reserves both. Returns the call's owner instance, or an error naming what changed since
 * the decision was taken.
 */
export const RESERVE = `${LIB}
local callId, agentId, via, now, ttl = ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local ck, ak = P .. 'call:' .. callId, P .. 'agent:' .. agentId
-- The hottest script: one read per hash.
local c = redis.call('HMGET', ck, 'state', 'owner', 'skill', 'priority')
if c[1] ~= 'queued' then
  -- Reserved already by this very decision, not yet rung (sent again after its reply was lost to a Redis restart):
  -- the same answer, or the reservation would stand with no one ringing the agent until it expired.
  if c[1] == 'offering' and hget(ck, 'agent') == agentId then
    local a = redis.call('HMGET', ak, 'callId', 'state')
    if a[1] == callId and a[2] == 'reserved' then return (c[2] or '') .. '\\n' .. (c[3] or '') end
  end
  return redis.error_reply('call-not-waiting')
end
local a = redis.call('HMGET', ak, 'state', 'skills')
if a[1] ~= 'ready' then return redis.error_reply('agent-not-ready') end
-- The skills are flat JSON ({"general":1,...}): a plain search for the key is enough, and cheaper than decoding.
if not string.find(a[2] or '', '"' .. via .. '":', 1, true) then return redis.error_reply('agent-lacks-skill') end
local owner = c[2] or ''
-- The deciding router (ARGV[7]) is alive by definition: its own calls need no liveness read.
if owner ~= '*' and owner ~= ARGV[7] and redis.call('EXISTS', P .. 'alive:' .. owner) == 0 then
  return redis.error_reply('owner-gone')
end
local qk = P .. 'queue:' .. (c[3] or '') .. ':' .. (c[4] or 'normal')
-- Nobody earlier in the call's own line (same skill and class) is passed over: a deciding router whose replica is a
-- moment behind (a caller another router queued, an agent it saw ready that had just been taken) must not let a
-- later caller overtake an earlier one. The policy passes over only callers whose router is gone or who already
-- missed this agent; so does this check. The line's head is the usual case: no read beyond the rank.
-- A transfer to a named agent (ARGV[8] '1') is no queue decision: it skips the check.
-- The 32 nearest ahead are read: behind a dead router's callers (the head, until a survivor adopts them) they are
-- the live ones a lagging replica would pass over. Each router's liveness is read once.
local rank = ARGV[8] ~= '1' and redis.call('ZRANK', qk, callId)
if rank and rank > 0 then
  local live = {['*'] = true, [ARGV[7]] = true}
  for _, id in ipairs(redis.call('ZRANGE', qk, math.max(0, rank - 32), rank - 1)) do
    local e = redis.call('HMGET', P .. 'call:' .. id, 'state', 'owner', 'tried')
    if e[1] == 'queued' and not string.find(e[3] or '', '"' .. agentId .. '"', 1, true) then
      local o = e[2] or ''
      if live[o] == nil then live[o] = redis.call('EXISTS', P .. 'alive:' .. o) == 1 end
      if live[o] then return redis.error_reply('not-first') end
    end
  end
end
redis.call('ZREM', qk, callId)
redis.call('HSET', ck, 'state', 'offering', 'agent', agentId)
-- When the call was first offered, for its record when a router other than the one offering it records the call.
redis.call('HSETNX', ck, 'firstOfferedAt', now)
-- The reservation's deadline is a field of the agent (one write with the state, instead of a key with a TTL).
redis.call('HSET', ak, 'state', 'reserved', 'since', now, 'callId', callId, 'reason', '', 'resvUntil', now + ttl * 1000)
emit_agent(agentId, 'reserved')
emit_call(callId, 'offering')
-- The call's queue goes with the owner: the offer's screen-pop and wrap-up need it, and it is read here anyway.
return done(owner .. '\\n' .. (c[3] or ''))
`;

/**
 * The offered agent did not take the call. ARGV: prefix, callId, agentId, now, maxNoAnswer.
 * The call goes back to its own place (its original queue time); the agent to ready, or to not
 * ready with reason no-answer after maxNoAnswer misses in a row. Returns the agent's new state.
 */
export const NO_ANSWER = `${LIB}
local callId, agentId, now, maxMiss = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local ck, ak = P .. 'call:' .. callId, P .. 'agent:' .. agentId
local agentState = 'unchanged'
if hget(ak, 'callId') == callId then
  local streak = redis.call('HINCRBY', ak, 'noAnswerStreak', 1)
  if maxMiss > 0 and streak >= maxMiss then agentState = 'not_ready' else agentState = 'ready' end
  set_agent(agentId, agentState, now, '', (agentState == 'not_ready') and 'no-answer' or '')
end
if hget(ck, 'state') == 'offering' then
  local tried = cjson.decode(hget(ck, 'tried') or '[]')
  table.insert(tried, agentId)
  redis.call('HSET', ck, 'state', 'queued', 'agent', '', 'tried', cjson.encode(tried))
  redis.call('ZADD', queue_key(ck), tonumber(hget(ck, 'queuedAt')), callId)
  emit_call(callId, 'queued')
end
return done(agentState)
`;

/**
 * The agent answered but their leg was gone before the caller was put through. ARGV: prefix, callId, agentId, now,
 * maxMiss, quick. A quick loss ('1': the leg went within moments of its answer) is the phone's doing, such as a
 * handset or an auto-answer that drops every call; it counts in the agent's dropStreak, and maxMiss of them in a
 * row, with no conversation between, set the agent not ready with reason phone-drops: otherwise such a phone takes
 * every caller's first offer while it stays the longest idle. A slow loss (a join that waited its turn on an
 * overloaded switch until the agent gave up) is not the agent's fault and only frees them. The streak is cleared by
 * a conversation (releaseAfterTransfer) or the agent setting themselves ready. Returns the agent's new state, or
 * 'unchanged' when the agent no longer holds the call.
 */
export const DROPPED_JOIN = `${LIB}
local callId, agentId, now, maxMiss, quick = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local ak = P .. 'agent:' .. agentId
if hget(ak, 'callId') ~= callId then return done('unchanged') end
local state = 'ready'
if quick == '1' then
  local streak = redis.call('HINCRBY', ak, 'dropStreak', 1)
  if maxMiss > 0 and streak >= maxMiss then state = 'not_ready' end
end
set_agent(agentId, state, now, '', (state == 'not_ready') and 'phone-drops' or '')
return done(state)
`;

/**
 * A reservation is given back without the agent being at fault (the call moved on, or its router
 * never confirmed). ARGV: prefix, callId, agentId, now. The call returns to its place if it was
 * still being offered and its owner lives; the agent returns to ready.
 */
export const RELEASE = `${LIB}
local callId, agentId, now = ARGV[2], ARGV[3], tonumber(ARGV[4])
local ck, ak = P .. 'call:' .. callId, P .. 'agent:' .. agentId
local st = hget(ak, 'state')
if hget(ak, 'callId') == callId and (st == 'reserved' or st == 'ringing') then
  set_agent(agentId, 'ready', now, '', '')
end
if hget(ck, 'state') == 'offering' and hget(ck, 'agent') == agentId then
  redis.call('HSET', ck, 'state', 'queued', 'agent', '')
  redis.call('ZADD', queue_key(ck), tonumber(hget(ck, 'queuedAt')), callId)
  emit_call(callId, 'queued')
  return done('requeued')
end
return done('released')
`;

/** ARGV: prefix, callId, agentId, until. Moves the deadline of the agent's reservation for this call. */
export const EXTEND_RESERVATION = `${LIB}
local ak = P .. 'agent:' .. ARGV[3]
if hget(ak, 'callId') == ARGV[2] then redis.call('HSET', ak, 'resvUntil', ARGV[4]) end
return 1
`;

/**
 * The sweep's release of a reservation whose router never confirmed it. The check (the reservation's deadline
 * passed, the agent still reserved or ringing for this call) and the release are one step: read apart, an agent
 * who answered between the sweep's read and its release was reported as an expired reservation (and, with a slow
 * router, released).
 * ARGV: prefix, callId, agentId, now. Returns 'held' (nothing to do) or what RELEASE returns.
 */
export const RELEASE_EXPIRED = `${LIB}
local callId, agentId, now = ARGV[2], ARGV[3], tonumber(ARGV[4])
local ck, ak = P .. 'call:' .. callId, P .. 'agent:' .. agentId
local st = hget(ak, 'state')
if tonumber(hget(ak, 'resvUntil') or '0') > now or hget(ak, 'callId') ~= callId
  or (st ~= 'reserved' and st ~= 'ringing') then
  return done('held')
end
set_agent(agentId, 'ready', now, '', '')
if hget(ck, 'state') == 'offering' and hget(ck, 'agent') == agentId then
  redis.call('HSET', ck, 'state', 'queued', 'agent', '')
  redis.call('ZADD', queue_key(ck), tonumber(hget(ck, 'queuedAt')), callId)
  emit_call(callId, 'queued')
  return done('requeued')
end
return done('released')
`;
/** The agent's phone rings. ARGV: prefix, callId, agentId, now. */
export const RINGING = `${LIB}
local callId, agentId, now = ARGV[2], ARGV[3], tonumber(ARGV[4])
local ak = P .. 'agent:' .. agentId
if hget(ak, 'callId') ~= callId then return redis.error_reply('not-reserved-for-call') end
-- Sent alongside the ring: an agent who already answered stays talking.
if hget(ak, 'state') ~= 'reserved' then return done('ok') end
redis.call('HSET', ak, 'state', 'ringing', 'since', now)
return done('ok')
`;

/**
 * The agent answered and is bridged. ARGV: prefix, callId, agentId, now. Refused unless the call is
 * still being offered to this agent and the agent still holds it (a reservation that expired meanwhile
 * may have gone to another call).
 */
export const CONNECT = `${LIB}
local callId, agentId, now = ARGV[2], ARGV[3], tonumber(ARGV[4])
local ck, ak = P .. 'call:' .. callId, P .. 'agent:' .. agentId
local c = redis.call('HMGET', ck, 'state', 'agent')
if c[2] ~= agentId or hget(ak, 'callId') ~= callId then return redis.error_reply('not-offered-to-agent') end
-- Applied already: ioredis sends a command again when its reply was lost (Redis stopped after running it, before
-- answering), and a refusal then would end a conversation that is going on.
if c[1] == 'talking' then return 'ok' end
if c[1] ~= 'offering' then return redis.error_reply('not-offered-to-agent') end
redis.call('HSET', ck, 'state', 'talking', 'agent', agentId, 'answeredAt', now)
set_agent(agentId, 'talking', now, callId, '')
redis.call('HSET', ak, 'noAnswerStreak', 0)
redis.call('HINCRBY', ak, 'callsToday', 1)
return done('ok')
`;

/**
 * The call is over. ARGV: prefix, callId, now, wrapupS. Takes it out of its queue if it was waiting
 * and frees its agent: to wrap-up after a talk (ready when wrapupS is 0), to ready after a ring.
 * Returns the call's state before it ended.
 */
export const FINISH = `${LIB}
local callId, now, wrapupS = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local ck = P .. 'call:' .. callId
local cstate = hget(ck, 'state') or 'gone'
-- Ended already (the same end sent again after a lost reply, or a second end): the agent is not freed twice, which
-- would cut their wrap-up short or free them from the next call.
if cstate == 'ended' then return cstate end
if hget(ck, 'skill') then redis.call('ZREM', queue_key(ck), callId) end
local agentId = hget(ck, 'agent')
if agentId and agentId ~= '' then
  local ak = P .. 'agent:' .. agentId
  if hget(ak, 'callId') == callId then
    if cstate == 'talking' and wrapupS > 0 then
      set_agent(agentId, 'wrapup', now, callId, '')
      redis.call('HSET', ak, 'wrapupUntil', now + wrapupS * 1000)
    else
      set_agent(agentId, 'ready', now, '', '')
    end
  end
end
redis.call('HSET', ck, 'state', 'ended', 'endedAt', now)
redis.call('EXPIRE', ck, 86400)
if cstate == 'queued' then emit_call(callId, 'ended') end
return done(cstate)
`;

/**
 * An agent still "talking" on a call that is over: the call's end was never applied to the agent (a router that
 * died between the hangup and its write, or an end lost to a Redis restart with an older snapshot). ARGV:
 * prefix, agentId, now. Frees the agent to ready when its call is ended, lost or gone; returns 'freed', or
 * 'held' when the agent is on a live call or no longer talking.
 */
export const FREE_STRAY_AGENT = `${LIB}
local agentId, now = ARGV[2], tonumber(ARGV[3])
local ak = P .. 'agent:' .. agentId
if hget(ak, 'state') ~= 'talking' then return done('held') end
local callId = hget(ak, 'callId') or ''
local cstate = callId ~= '' and hget(P .. 'call:' .. callId, 'state') or nil
if cstate == 'talking' or cstate == 'offering' then return done('held') end
set_agent(agentId, 'ready', now, '', '')
return done('freed')
`;

/** Wrap-up is over (its time ran out or the agent ended it early). ARGV: prefix, agentId, now. */
export const END_WRAPUP = `${LIB}
local agentId, now = ARGV[2], tonumber(ARGV[3])
local ak = P .. 'agent:' .. agentId
if hget(ak, 'state') ~= 'wrapup' then return redis.error_reply('not-in-wrapup') end
set_agent(agentId, 'ready', now, '', '')
return done('ready')
`;

/**
 * Moves a waiting call to another queue (a fallback after its maximum wait). ARGV: prefix, callId,
 * newSkill, now. Its wait in the new queue starts now; firstQueuedAt keeps the whole wait.
 */
export const MOVE = `${LIB}
local callId, skill, now = ARGV[2], ARGV[3], tonumber(ARGV[4])
local ck = P .. 'call:' .. callId
if hget(ck, 'state') ~= 'queued' then return redis.error_reply('call-not-waiting') end
redis.call('ZREM', queue_key(ck), callId)
redis.call('HSET', ck, 'skill', skill, 'queuedAt', now, 'tried', '[]')
redis.call('ZADD', queue_key(ck), now, callId)
emit_call(callId, 'queued')
return done('moved')
`;

/**
 * Takes over a call whose router died (FreeSWITCH handed the caller to another instance).
 * ARGV: prefix, callId, newOwner, now. Returns the call's state.
 */
export const ADOPT = `${LIB}
local callId, owner, now, force = ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5] == '1'
local ck = P .. 'call:' .. callId
local st = hget(ck, 'state')
if not st or st == 'ended' then return redis.error_reply('call-ended') end
local old = hget(ck, 'owner')
if not force and old ~= owner and old ~= '*' and redis.call('EXISTS', P .. 'alive:' .. old) == 1 then
  return redis.error_reply('owner-alive')
end
redis.call('HSET', ck, 'owner', owner)
if st == 'queued' then emit_call(callId, 'queued') end
return done(st)
`;

/**
 * Tells the replicas about a change made outside the scripts (an agent's skills or name edited, a call's owner
 * set by a plain write). ARGV: prefix, kind ('call' or 'agent'), id.
 */
export const NOTIFY = `${LIB}
local kind, id = ARGV[2], ARGV[3]
if kind == 'agent' then
  local ak = P .. 'agent:' .. id
  emit_agent(id, hget(ak, 'state') or 'logged_out')
else
  emit_call(id, hget(P .. 'call:' .. id, 'state'))
end
return done('ok')
`;

/**
 * What a replica starts from, in one atomic step: the last sequence number and stream id of the changes, every
 * waiting call of the given skills and classes, and every ready agent. ARGV: prefix, classes (comma-separated),
 * skills... Read once at start (and after a gap), never per decision.
 */
export const FULL_STATE = `${LIB}
local classes = {}
for c in string.gmatch(ARGV[2], '[^,]+') do table.insert(classes, c) end
-- The stream's last id, even when trimming left it no entry.
local lastId = '0-0'
if redis.call('EXISTS', P .. 'acd:stream') == 1 then
  local info = redis.call('XINFO', 'STREAM', P .. 'acd:stream')
  for i = 1, #info, 2 do if info[i] == 'last-generated-id' then lastId = info[i + 1] end end
end
local seq = tonumber(string.sub(lastId, 3)) or 0
local calls = {}
for i = 3, #ARGV do
  for _, cls in ipairs(classes) do
    for _, id in ipairs(redis.call('ZRANGE', P .. 'queue:' .. ARGV[i] .. ':' .. cls, 0, -1)) do
      local f = redis.call('HMGET', P .. 'call:' .. id, 'state', 'skill', 'priority', 'queuedAt', 'tried', 'owner')
      if f[2] then table.insert(calls, {id, f[1] or 'queued', f[2], f[3] or 'normal', f[4] or '0', f[5] or '[]', f[6] or ''}) end
    end
  end
end
local agents = {}
-- The agents' states are the truth (no separate ready set to keep in step on every change): read them all.
for _, id in ipairs(redis.call('SMEMBERS', P .. 'agents')) do
  local f = redis.call('HMGET', P .. 'agent:' .. id, 'state', 'name', 'extension', 'skills', 'idleSince', 'callsToday')
  if f[1] == 'ready' then
    table.insert(agents, {id, f[1], f[2] or '', f[3] or '', f[4] or '{}', f[5] or '0', f[6] or '0'})
  end
end
return {seq, lastId, calls, agents}
`;
