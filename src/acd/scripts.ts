// Lua scripts that apply ACD decisions atomically (check-and-set over several keys), so that router
// instances sharing one Redis never offer one agent two calls or one call to two agents.
// They validate and apply; choosing is policy.ts's job.

// Shared helpers prepended to every script. Keys are built from ARGV[1] (the prefix).
const LIB = `
local P = ARGV[1]
local function hget(k, f) local v = redis.call('HGET', k, f); if v == false then return nil end; return v end
local function skills_of(agentKey)
  local s = hget(agentKey, 'skills'); if not s then return {} end
  local ok, t = pcall(cjson.decode, s); if not ok or type(t) ~= 'table' then return {} end
  return t
end
local function leave_ready(agentId, agentKey)
  for skill, _ in pairs(skills_of(agentKey)) do redis.call('ZREM', P .. 'ready:' .. skill, agentId) end
end
local function enter_ready(agentId, agentKey, idleSince)
  for skill, _ in pairs(skills_of(agentKey)) do redis.call('ZADD', P .. 'ready:' .. skill, idleSince, agentId) end
end
`;

/** ARGV: prefix, agentId, state, now, reason, callId. Returns the previous state. */
export const SET_AGENT_STATE = `${LIB}
local id, state, now, reason, callId = ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6]
local ak = P .. 'agent:' .. id
if redis.call('EXISTS', ak) == 0 then return redis.error_reply('unknown-agent') end
local old = hget(ak, 'state') or 'logged_out'
leave_ready(id, ak)
redis.call('HSET', ak, 'state', state, 'since', now, 'reason', reason, 'callId', callId)
if state == 'ready' then
  redis.call('HSET', ak, 'idleSince', now)
  enter_ready(id, ak, now)
end
return old
`;

/**
 * ARGV: prefix, callId, agentId, now, ttlS. Checks the call still waits and the agent is still
 * ready with the call's skill, then reserves both. Returns the call's owner instance, or an error
 * naming what changed since the decision was taken.
 */
export const RESERVE = `${LIB}
local callId, agentId, now, ttl = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local ck, ak = P .. 'call:' .. callId, P .. 'agent:' .. agentId
local cstate = hget(ck, 'state')
if cstate ~= 'queued' then return redis.error_reply('call-not-waiting') end
if hget(ak, 'state') ~= 'ready' then return redis.error_reply('agent-not-ready') end
local skill = hget(ck, 'skill')
if skills_of(ak)[skill] == nil then return redis.error_reply('agent-lacks-skill') end
local owner = hget(ck, 'owner')
if redis.call('EXISTS', P .. 'alive:' .. owner) == 0 then
  redis.call('ZREM', P .. 'queue:' .. skill, callId)
  redis.call('HSET', ck, 'state', 'lost')
  return redis.error_reply('owner-gone')
end
redis.call('ZREM', P .. 'queue:' .. skill, callId)
redis.call('HSET', ck, 'state', 'offering', 'agent', agentId)
leave_ready(agentId, ak)
redis.call('HSET', ak, 'state', 'reserved', 'since', now, 'callId', callId, 'reason', '')
redis.call('SET', P .. 'resv:' .. agentId, callId, 'EX', ttl)
return owner
`;

/**
 * The offered agent did not take the call. ARGV: prefix, callId, agentId, now, agentState, reason.
 * The call goes back to its own place in the queue (its original score), the agent to agentState.
 */
export const REQUEUE = `${LIB}
local callId, agentId, now, agentState, reason = ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6]
local ck, ak = P .. 'call:' .. callId, P .. 'agent:' .. agentId
redis.call('DEL', P .. 'resv:' .. agentId)
if hget(ak, 'callId') == callId then
  leave_ready(agentId, ak)
  redis.call('HSET', ak, 'state', agentState, 'since', now, 'callId', '', 'reason', reason)
  if agentState == 'ready' then redis.call('HSET', ak, 'idleSince', now); enter_ready(agentId, ak, now) end
end
local cstate = hget(ck, 'state')
if cstate ~= 'offering' then return cstate or 'gone' end
local tried = cjson.decode(hget(ck, 'tried') or '[]')
table.insert(tried, agentId)
redis.call('HSET', ck, 'state', 'queued', 'agent', '', 'tried', cjson.encode(tried))
redis.call('ZADD', P .. 'queue:' .. hget(ck, 'skill'), tonumber(hget(ck, 'score')), callId)
return 'queued'
`;

/** The agent answered and is bridged. ARGV: prefix, callId, agentId, now. */
export const CONNECT = `${LIB}
local callId, agentId, now = ARGV[2], ARGV[3], tonumber(ARGV[4])
local ck, ak = P .. 'call:' .. callId, P .. 'agent:' .. agentId
redis.call('DEL', P .. 'resv:' .. agentId)
redis.call('HSET', ck, 'state', 'talking', 'agent', agentId, 'answeredAt', now)
redis.call('HSET', ak, 'state', 'talking', 'since', now, 'callId', callId)
redis.call('HINCRBY', ak, 'callsToday', 1)
return 'ok'
`;

/**
 * The call is over. ARGV: prefix, callId, now, agentNextState. Takes it out of the queue if it was
 * waiting and frees its agent (to wrap-up, or ready when there is none). Returns the call's state
 * before it ended.
 */
export const FINISH = `${LIB}
local callId, now, agentNext = ARGV[2], tonumber(ARGV[3]), ARGV[4]
local ck = P .. 'call:' .. callId
local cstate = hget(ck, 'state') or 'gone'
local skill = hget(ck, 'skill')
if skill then redis.call('ZREM', P .. 'queue:' .. skill, callId) end
local agentId = hget(ck, 'agent')
if agentId and agentId ~= '' then
  local ak = P .. 'agent:' .. agentId
  redis.call('DEL', P .. 'resv:' .. agentId)
  if hget(ak, 'callId') == callId then
    local next = agentNext
    if cstate ~= 'talking' then next = 'ready' end
    leave_ready(agentId, ak)
    redis.call('HSET', ak, 'state', next, 'since', now, 'callId', (next == 'wrapup') and callId or '', 'reason', '')
    if next == 'ready' then redis.call('HSET', ak, 'idleSince', now); enter_ready(agentId, ak, now) end
  end
end
redis.call('HSET', ck, 'state', 'ended', 'endedAt', now)
redis.call('EXPIRE', ck, 86400)
return cstate
`;
