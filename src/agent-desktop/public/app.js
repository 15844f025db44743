// 12345 坐席工作台: the agent's panel beside the SIP softphone. Speaks the desktop protocol
// (/agent/protocol.json, PROTOCOL.md): login with the token, resume with the last sequence number
// after any reconnect, heartbeats both ways, acknowledgements; validates every server message.
import { serverValidator } from './validate.js';

const $ = (id) => document.getElementById(id);

const STATE_LABELS = {
  logged_out: '未登录',
  ready: '就绪',
  reserved: '预占',
  ringing: '振铃中',
  talking: '通话中',
  wrapup: '话后整理',
  not_ready: '示忙',
};
const REASON_LABELS = {
  break: '小休',
  meal: '用餐',
  training: '培训',
  meeting: '会议',
  'back-office': '工单处理',
  'no-answer': '未接听',
  'desktop-lost': '工作台断开',
  'phone-drops': '话机接起即断',
  login: '刚登录',
};
const OUTCOME_LABELS = {
  answered: '通话结束',
  abandoned: '来电人已挂机',
  missed: '未接听，已转其他坐席',
  transferred: '已转接',
  failed: '呼叫失败',
};
const SURVEY_LABELS = { speed: '速度', resolution: '解决', attitude: '态度' };

const store = window.sessionStorage;
const ui = {
  conn: 'idle',
  state: 'logged_out',
  reason: '',
  agentId: '',
  call: null, // { callId, status }
  threeWay: null, // { callId, service, joined } while a three-way call is asked for or held
  wrapupEndsAt: 0,
  wrapupTotal: 0,
};

let ws = null;
let validate = null;
let token = '';
let lastSeq = null; // null: fresh start (the server brings back the current call's card)
let attempts = 0;
let reconnectTimer = null;
let pingTimer = null;
let watchdog = null;
let heartbeatMs = 10000;
let lastHeard = 0;
let ackTimer = null;
let clockOffset = 0;
let stopped = true;
let refCounter = 0;
let invalidCount = 0;

// ---------- connection ----------

async function loadProtocol() {
  if (validate) return;
  try {
    const doc = await fetch('protocol.json', { cache: 'no-cache' }).then((r) => r.json());
    validate = serverValidator(doc);
    $('protoInfo').textContent = `协议 v${doc.version}`;
  } catch {
    validate = null;
  }
}

function wsUrl() {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}/agent/ws`;
}

function connect() {
  clearTimeout(reconnectTimer);
  stopped = false;
  setConn(attempts ? 'reconnecting' : 'connecting');
  void loadProtocol();
  const sock = new WebSocket(wsUrl());
  ws = sock;
  sock.onopen = () => {
    lastHeard = Date.now();
    const login = { type: 'login', v: 2, token };
    if (lastSeq !== null) login.lastSeq = lastSeq;
    sock.send(JSON.stringify(login));
  };
  sock.onmessage = (ev) => {
    lastHeard = Date.now();
    let msg;
    try {
      msg = JSON.parse(ev.data);
    } catch {
      return;
    }
    onMessage(msg);
  };
  sock.onclose = (ev) => {
    if (ws !== sock) return;
    ws = null;
    stopHeartbeat();
    if (ev.code === 4401) {
      stopped = true;
      window.dispatchEvent(new Event('hotline:logout'));
      setConn('idle');
      showLogin(
        `登录失败：${ev.reason === 'token revoked' ? '令牌已被吊销' : ev.reason === 'token expired' ? '令牌已过期' : '令牌无效'}，请向管理员重新获取。`,
      );
      return;
    }
    if (stopped || ev.code === 1000) {
      setConn('idle');
      return;
    }
    scheduleReconnect();
  };
  sock.onerror = () => sock.close();
}

function scheduleReconnect() {
  attempts++;
  setConn('reconnecting');
  const delay = Math.min(5000, 300 * 2 ** Math.min(attempts - 1, 5)) * (0.75 + Math.random() * 0.5);
  reconnectTimer = setTimeout(connect, delay);
}

function startHeartbeat() {
  stopHeartbeat();
  pingTimer = setInterval(() => send({ type: 'ping', t: Date.now() }), heartbeatMs);
  watchdog = setInterval(
    () => {
      // Nothing heard (not even a pong) for 2.5 heartbeats: the socket is dead even if not closed.
      if (ws && Date.now() - lastHeard > heartbeatMs * 2.5) ws.close(4000, 'heartbeat lost');
    },
    Math.max(500, heartbeatMs / 2),
  );
}

function stopHeartbeat() {
  clearInterval(pingTimer);
  clearInterval(watchdog);
}

function send(msg) {
  if (ws && ws.readyState === WebSocket.OPEN) {
    ws.send(JSON.stringify(msg));
    return true;
  }
  return false;
}

function command(msg) {
  msg.ref = `r${++refCounter}`;
  if (!send(msg)) say('未连接，操作未发送；正在重新连接…', true);
}

function ackSoon() {
  clearTimeout(ackTimer);
  ackTimer = setTimeout(() => {
    if (lastSeq) send({ type: 'ack', seq: lastSeq });
  }, 150);
}

// ---------- messages ----------

function onMessage(msg) {
  if (validate) {
    const problem = validate(msg);
    if (problem) {
      invalidCount++;
      console.warn('invalid server message', problem);
      $('protoInfo').textContent = `协议异常消息 ${invalidCount} 条`;
      if (typeof msg.seq === 'number' && (lastSeq === null || msg.seq > lastSeq)) lastSeq = msg.seq;
      return;
    }
  }
  if (msg.type === 'hello') return onHello(msg);
  if (typeof msg.seq === 'number') {
    if (lastSeq !== null && msg.seq <= lastSeq) return; // already handled
    lastSeq = msg.seq;
    ackSoon();
  }
  switch (msg.type) {
    case 'offer':
      return showOffer(msg);
    case 'answered':
      setCallStatus(msg.callId, 'talking', '通话中');
      startCallTimer(msg.callId, msg.at);
      return setState('talking');
    case 'ended':
      return onEnded(msg);
    case 'wrapup_started':
      setState('wrapup');
      return startWrapup(msg);
    case 'wrapup_ended':
      return endWrapup();
    case 'state':
      return setState(msg.state, msg.reason);
    case 'tidal':
      return notice('tidal', `潮汐排班 ${msg.time}`, msg.text);
    case 'softphone':
      setPhone(msg.registered);
      if (!msg.registered)
        notice('urgent', '话机未注册', '您的软电话注册已失效，系统暂不向您分配来电，请检查话机。');
      return;
    case 'supervisor':
      return notice(msg.level === 'urgent' ? 'urgent' : 'supervisor', `班长消息（${msg.from}）`, msg.text);
    case 'result':
      if (msg.command === 'transfer' && onThreeWayResult(msg)) return;
      if (msg.ok) say(resultText(msg.command) + '：成功');
      else say(`${resultText(msg.command)}未成功：${msg.message || ''}`, true);
      return;
    case 'error':
      say(`操作被拒绝：${msg.error}`, true);
      return;
    case 'pong':
      clockOffset = msg.at - Date.now();
      return;
  }
}

/** The softphone's registration: without one the ACD offers this agent no calls. */
function setPhone(registered) {
  const el = $('phoneBadge');
  el.hidden = false;
  el.dataset.phone = registered ? 'registered' : 'unregistered';
  el.textContent = registered ? '话机已注册' : '话机未注册';
}

function onHello(msg) {
  attempts = 0;
  ui.agentId = msg.agentId;
  clockOffset = msg.at - Date.now();
  heartbeatMs = msg.heartbeatMs || 10000;
  startHeartbeat();
  if (msg.gap || lastSeq === null) {
    // Fresh start or missed messages expired: take the state from hello; replayed messages follow.
    lastSeq = msg.gap ? 0 : lastSeq;
    if (!msg.callId && ui.call) clearCall();
  }
  if (lastSeq === null) lastSeq = 0;
  $('who').textContent = `${msg.agentName || ''}（工号 ${msg.agentId}）`;
  setState(msg.state || 'logged_out', msg.reason);
  if (msg.softphone) setPhone(msg.softphone === 'registered');
  setConn('connected');
  showDesk();
  void loadDirectory();
  // The page's softphone (softphone.js) registers once the desktop is signed in.
  window.dispatchEvent(new CustomEvent('hotline:desk', { detail: { token, agentId: msg.agentId } }));
}

function showOffer(m) {
  ui.call = { callId: m.callId, status: 'ringing' };
  endWrapup();
  // offer, answered and wrapup_started each imply the agent's state (PROTOCOL.md).
  setState('ringing');
  $('idleCard').hidden = true;
  const card = $('card');
  card.hidden = false;
  card.dataset.priority = m.priority;
  setCallStatus(m.callId, 'ringing', '振铃中');
  $('fCaller').textContent = m.caller || '（未显示号码）';
  $('fDialled').textContent = m.dialled;
  $('fLine').textContent = `${m.lineName}（${m.line}）`;
  $('fMerge').textContent = m.mergeModeLabel;
  $('fPriority').textContent = m.priorityLabel;
  $('fPriority').className = `prio prio-${m.priority}`;
  $('fWait').textContent = formatDuration(m.waitS);
  $('fIvr').textContent = m.ivrPath.length ? m.ivrPath.join(' → ') : '（未经语音导航）';
  $('careDt').hidden = $('fCare').hidden = !m.care;
  $('fCare').textContent = m.care ? `${m.care.kindLabel}${m.care.note ? `：${m.care.note}` : ''}` : '';
  // Transferred in by 110 (or 119, 120, 122): the line, its case number and what its operator wrote.
  const ref = m.referral;
  $('refDt').hidden = $('fRef').hidden = !ref;
  $('fRef').textContent = ref
    ? [`${ref.fromLabel}转入`, ref.caseId ? `案件编号 ${ref.caseId}` : '', ref.note || '']
        .filter(Boolean)
        .join(' · ')
    : '';
  stopCallTimer();
  $('callTimer').hidden = true;
  const h = m.history;
  $('repeatFlag').hidden = !h.repeat;
  $('repeatFlag').textContent = h.repeat ? `重复来电：近${h.days}天第 ${h.count + 1} 次` : '';
  let summary = h.count ? `近${h.days}天来电 ${h.count} 次。` : `近${h.days}天无来电记录。`;
  if (h.survey) summary += ` 满意度平均 ${h.survey.average} 分（${h.survey.answered} 次评价）。`;
  $('histSummary').textContent = summary;
  const rows = $('histRows');
  rows.replaceChildren();
  rows.closest('table').hidden = !h.calls.length;
  for (const c of h.calls) {
    const tr = document.createElement('tr');
    const survey = c.survey
      ? Object.entries(c.survey)
          .map(([k, v]) => `${SURVEY_LABELS[k] || k}${v}`)
          .join(' ')
      : '—';
    for (const text of [formatTime(c.at), c.line, c.outcomeLabel, survey]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    rows.append(tr);
  }
  const links = $('links');
  links.replaceChildren();
  for (const l of m.links) {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = l.url;
    a.textContent = l.title;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    li.append(a);
    links.append(li);
  }
  if (!m.links.length) {
    const li = document.createElement('li');
    li.textContent = '（本线路未配置政策链接）';
    links.append(li);
  }
  updateButtons();
}

function onEnded(m) {
  if (!ui.call || ui.call.callId !== m.callId) return;
  stopCallTimer();
  ui.threeWay = null;
  const leave = $('btnLeave3');
  if (leave) leave.hidden = true;
  setCallStatus(m.callId, 'ended', OUTCOME_LABELS[m.outcome] || `已结束（${m.outcome}）`);
}

function setCallStatus(callId, status, label) {
  if (!ui.call || ui.call.callId !== callId) return;
  ui.call.status = status;
  const el = $('callStatus');
  el.dataset.status = status;
  el.textContent = label;
  updateButtons();
}

// The talk time, from the server's answer instant (the clock offset from hello and pong corrects this machine's).
let callTimer = null;
function startCallTimer(callId, answeredAtServer) {
  stopCallTimer();
  const startLocal = (answeredAtServer || Date.now() + clockOffset) - clockOffset;
  const el = $('callTimer');
  el.hidden = false;
  const tick = () => {
    if (!ui.call || ui.call.callId !== callId) return stopCallTimer();
    const s = Math.max(0, Math.floor((Date.now() - startLocal) / 1000));
    el.textContent = `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  };
  tick();
  callTimer = setInterval(tick, 1000);
}

function stopCallTimer() {
  clearInterval(callTimer);
  callTimer = null;
}

function clearCall() {
  stopCallTimer();
  $('callTimer').hidden = true;
  ui.call = null;
  $('card').hidden = true;
  $('idleCard').hidden = false;
  updateButtons();
}

function startWrapup(m) {
  const nowServer = Date.now() + clockOffset;
  ui.wrapupEndsAt = Date.now() + Math.max(0, m.endsAt - nowServer);
  ui.wrapupTotal = m.durationS;
  $('wrapupBox').hidden = false;
  tickWrapup();
  updateButtons();
}

function endWrapup() {
  ui.wrapupEndsAt = 0;
  $('wrapupBox').hidden = true;
  updateButtons();
}

function tickWrapup() {
  if (!ui.wrapupEndsAt) return;
  const left = Math.max(0, Math.ceil((ui.wrapupEndsAt - Date.now()) / 1000));
  $('wrapupLeft').textContent = String(left);
  const pct = ui.wrapupTotal ? Math.min(100, (left / ui.wrapupTotal) * 100) : 0;
  $('wrapupFill').style.width = `${pct}%`;
}
setInterval(tickWrapup, 250);

const IDLE_TEXT = {
  logged_out: '您当前未上岗（未签入），不会分配来电。点击“就绪”开始接听。',
  not_ready: '您当前示忙，不会分配来电。点击“就绪”恢复接听。',
  ready: '暂无来电。来电会在此弹出。',
  wrapup: '话后整理中，结束整理后恢复接听。',
};

function setState(state, reason) {
  ui.state = state;
  ui.reason = reason || '';
  $('idleText').textContent = IDLE_TEXT[state] || '暂无来电。就绪后，来电会在此弹出。';
  $('idleCard').dataset.state = state;
  const badge = $('stateBadge');
  badge.dataset.state = state;
  const label = STATE_LABELS[state] || state;
  badge.textContent =
    state === 'not_ready' && reason ? `${label}（${REASON_LABELS[reason] || reason}）` : label;
  if (state !== 'wrapup' && ui.wrapupEndsAt) endWrapup();
  updateButtons();
}

function updateButtons() {
  const onCall = ['reserved', 'ringing', 'talking'].includes(ui.state);
  // Commands wait for the connection: nothing is sent into a dead socket.
  const offline = ui.conn !== 'connected';
  $('btnReady').disabled = offline || onCall || ui.state === 'ready';
  $('btnNotReady').disabled = offline || onCall;
  $('btnWrapupEnd').disabled = offline || ui.state !== 'wrapup';
  $('transferBox').disabled = offline || !(ui.call && ui.call.status === 'talking' && ui.state === 'talking');
}

function notice(kind, title, text) {
  const li = document.createElement('li');
  li.className = `notice ${kind}`;
  const strong = document.createElement('strong');
  strong.textContent = title;
  const p = document.createElement('span');
  p.textContent = text;
  const time = document.createElement('time');
  time.textContent = formatTime(Date.now());
  li.append(strong, time, p);
  const list = $('notices');
  list.prepend(li);
  while (list.children.length > 20) list.lastElementChild.remove();
}

function say(text, isError) {
  const el = $('statusLine');
  el.textContent = text;
  el.classList.toggle('err', !!isError);
}

function resultText(cmd) {
  return (
    { ready: '就绪', not_ready: '示忙', wrapup_end: '结束整理', transfer: '转接', logout: '退出登录' }[cmd] ||
    cmd
  );
}

function setConn(c) {
  ui.conn = c;
  const el = $('connBadge');
  el.dataset.conn = c;
  el.textContent =
    {
      idle: '未连接',
      connecting: '连接中…',
      connected: '已连接',
      reconnecting: `重新连接中（第 ${attempts} 次）`,
    }[c] || c;
  updateButtons();
}

// ---------- directory (transfer targets) ----------

async function loadDirectory() {
  try {
    const r = await fetch('api/directory', { headers: { authorization: `Bearer ${token}` } });
    if (!r.ok) return;
    const d = await r.json();
    fill(
      $('xSub'),
      d.subcenters.map((s) => [s.line, `${s.name}（${s.line}）`]),
    );
    fill(
      $('xQueue'),
      d.queues.map((q) => [q.skill, `${q.name}（${q.skill}）`]),
    );
    // One key per emergency line configured for this hotline (110 first: Alt+9 reaches it).
    const em = $('xEmergency');
    em.replaceChildren(em.firstElementChild);
    for (const e of d.emergency || []) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'urgent';
      b.dataset.service = e.service;
      b.textContent = `转${e.name}`;
      if (e.service === '110') b.setAttribute('aria-keyshortcuts', 'Alt+9');
      b.addEventListener('click', () => transfer({ kind: 'emergency', service: e.service }));
      // The same line as a three-way call (citizen, agent, line) the agent leaves when the line has taken over.
      const t = document.createElement('button');
      t.type = 'button';
      t.className = 'urgent three-way';
      t.dataset.threeWay = e.service;
      t.textContent = `三方${e.service}`;
      if (e.service === '110') t.setAttribute('aria-keyshortcuts', 'Alt+8');
      t.addEventListener('click', () => startThreeWay(e.service));
      em.append(b, t);
    }
    const leave = document.createElement('button');
    leave.type = 'button';
    leave.id = 'btnLeave3';
    leave.hidden = true;
    leave.textContent = '退出三方';
    leave.addEventListener('click', () => transfer({ kind: 'leave' }));
    em.append(leave);
    em.hidden = !(d.emergency || []).length;
    const dl = $('xAgents');
    dl.replaceChildren(
      ...d.agents.map((a) => {
        const o = document.createElement('option');
        o.value = a.id;
        o.label = `${a.name} ${STATE_LABELS[a.state] || a.state}`;
        return o;
      }),
    );
  } catch {
    /* transfers stay possible by typing */
  }
}

function fill(select, options) {
  select.replaceChildren(
    ...options.map(([value, label]) => {
      const o = document.createElement('option');
      o.value = value;
      o.textContent = label;
      return o;
    }),
  );
}

function transfer(target) {
  if (!ui.call) return;
  command({ type: 'transfer', callId: ui.call.callId, target });
  say('转接请求已发送…');
}

// A three-way call: the line rings while the agent keeps talking; once it answers, "退出三方" leaves it.
function startThreeWay(service) {
  if (!ui.call) return;
  ui.threeWay = { callId: ui.call.callId, service, joined: false };
  command({
    type: 'transfer',
    callId: ui.call.callId,
    target: { kind: 'emergency', service, threeWay: true },
  });
  say(`正在呼叫${service}，接通后三方通话…`);
}

function onThreeWayResult(m) {
  const tw = ui.threeWay;
  if (!tw) return false;
  if (m.ok && !tw.joined) {
    tw.joined = true;
    say(m.message || `三方通话已接通（${tw.service}）`);
  } else if (!m.ok) {
    ui.threeWay = null;
    say(m.message || `${tw.service} 未接通`, true);
  } else {
    ui.threeWay = null;
    say(m.message || '已退出三方通话');
  }
  $('btnLeave3').hidden = !ui.threeWay;
  return true;
}

// ---------- views ----------

function showLogin(error) {
  $('loginView').hidden = false;
  $('deskView').hidden = true;
  $('loginError').textContent = error || '';
  (($('tokenBox').open && $('token')) || $('username')).focus();
}

function showDesk() {
  // A good login leaves no error from an earlier attempt behind.
  $('loginError').textContent = '';
  $('loginView').hidden = true;
  $('deskView').hidden = false;
}

function startWith(t) {
  token = t.trim();
  lastSeq = null;
  attempts = 0;
  store.setItem('hotline.token', token);
  connect();
}

// ---------- wiring ----------

$('loginForm').addEventListener('submit', (e) => {
  e.preventDefault();
  const username = $('username').value.trim();
  const password = $('password').value;
  if (username || password) return void signIn(username, password);
  const t = $('token').value;
  if (t.trim().length < 10) {
    $('loginError').textContent = '请输入用户名和密码，或粘贴完整的坐席令牌。';
    return;
  }
  startWith(t);
});

/** Name and password: a session for the page, and the desktop token the socket logs in with. */
async function signIn(username, password) {
  if (!username || !password) {
    $('loginError').textContent = '请输入用户名和密码。';
    return;
  }
  $('loginBtn').disabled = true;
  $('loginError').textContent = '';
  try {
    const res = await fetch('/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) {
      $('loginError').textContent = body.message || `登录失败（${res.status}）`;
      return;
    }
    if (!body.agentToken) {
      $('loginError').textContent = '该账号不是坐席账号，请使用管理控制台登录。';
      return;
    }
    $('password').value = '';
    store.setItem('hotline.session', body.token);
    startWith(body.agentToken);
  } catch {
    $('loginError').textContent = '无法连接服务器，请稍后重试。';
  } finally {
    $('loginBtn').disabled = false;
  }
}
$('token').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey) {
    e.preventDefault();
    $('loginForm').requestSubmit();
  }
});
$('btnReady').addEventListener('click', () => command({ type: 'ready' }));
$('btnNotReady').addEventListener('click', () => command({ type: 'not_ready', reason: $('reason').value }));
$('btnWrapupEnd').addEventListener('click', () => command({ type: 'wrapup_end' }));
$('btnLogout').addEventListener('click', () => {
  command({ type: 'logout' });
  stopped = true;
  window.dispatchEvent(new Event('hotline:logout'));
  store.removeItem('hotline.token');
  // The session and its desktop tokens end on the server too (a signed-in agent; a pasted token stays valid).
  const session = store.getItem('hotline.session');
  store.removeItem('hotline.session');
  if (session)
    void fetch('/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${session}` } }).catch(
      () => undefined,
    );
  setTimeout(() => showLogin(''), 300);
});
$('btnXSub').addEventListener('click', () => transfer({ kind: 'subcenter', line: $('xSub').value }));
$('btnXQueue').addEventListener('click', () => transfer({ kind: 'queue', skill: $('xQueue').value }));
$('btnXAgent').addEventListener('click', () => {
  const id = $('xAgent').value.trim();
  if (/^[A-Za-z0-9_-]{1,32}$/.test(id)) transfer({ kind: 'agent', agentId: id });
  else say('请输入正确的坐席工号', true);
});

const SHORTCUTS = {
  1: () => $('btnReady').click(),
  2: () => $('btnNotReady').click(),
  3: () => $('btnWrapupEnd').click(),
  4: () => {
    if (!$('transferBox').disabled) $('xSub').focus();
  },
  9: () => {
    const b = document.querySelector('#xEmergency button[data-service="110"]');
    if (b && !$('transferBox').disabled) b.click();
  },
  5: () => {
    if (!$('card').hidden) $('cardTitle').focus();
  },
  8: () => {
    const b = document.querySelector('#xEmergency button[data-three-way="110"]');
    if (b && !$('transferBox').disabled) b.click();
  },
};
document.addEventListener('keydown', (e) => {
  if (!e.altKey || e.ctrlKey || e.metaKey) return;
  const key = e.code && e.code.startsWith('Digit') ? e.code.slice(5) : e.key;
  const fn = SHORTCUTS[key];
  if (fn) {
    e.preventDefault();
    fn();
  }
});
window.addEventListener('online', () => {
  if (!ws && !stopped) connect();
});

function formatDuration(s) {
  const n = Math.round(s);
  return n < 60 ? `${n} 秒` : `${Math.floor(n / 60)} 分 ${n % 60} 秒`;
}

// Times as the hotline keeps them: China Standard Time, whatever the machine's zone.
const TIME_FORMAT = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
});

function formatTime(ms) {
  return TIME_FORMAT.format(new Date(ms));
}

// For tests and support: the page's view of the session.
window.hotlineDesk = {
  get lastSeq() {
    return lastSeq;
  },
  get conn() {
    return ui.conn;
  },
  get state() {
    return ui.state;
  },
};

updateButtons();
const saved = store.getItem('hotline.token');
if (saved) {
  $('token').value = saved;
  startWith(saved);
} else {
  showLogin('');
}
