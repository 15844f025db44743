// The console: sign in, then the wallboard (live over server-sent events read with fetch, so that the session
// token stays in a header), the operator pages (config.js), reports and the change audit. No build step.
import { renderConfig } from './config.js';

const $ = (id) => document.getElementById(id);
const store = window.sessionStorage;
let token = store.getItem('hotline.console') || '';
let me = null;
let streamAbort = null;

const STATE_LABELS = {
  logged_out: '未签入',
  ready: '就绪',
  not_ready: '示忙',
  reserved: '预占',
  ringing: '振铃',
  talking: '通话',
  wrapup: '话后整理',
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
};
const POOL_LABELS = { front: '一线', back: '后台/备岗', backup: '备岗' };

export async function api(path, init = {}) {
  const res = await fetch(path, {
    ...init,
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(init.headers || {}),
    },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  if (res.status === 401) {
    signedOut('登录已失效，请重新登录。');
    throw new Error('unauthorized');
  }
  const type = res.headers.get('content-type') || '';
  const body = type.includes('json') ? await res.json() : await res.text();
  if (!res.ok) {
    // The status goes with the server's reason: a page tells "nothing there" (404) from a failure.
    const err = new Error((body && body.message) || `HTTP ${res.status}`);
    err.status = res.status;
    throw err;
  }
  return body;
}

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c);
  return e;
}

export function say(text, bad = false) {
  const p = $('actionResult');
  p.textContent = text;
  p.classList.toggle('err', bad);
}

const pct = (x) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`);
const secs = (x) => (x === null || x === undefined ? '—' : `${Math.round(x)} 秒`);

// ---------- sign-in ----------

$('loginForm').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('loginError').textContent = '';
  try {
    const res = await fetch('/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: $('username').value.trim(), password: $('password').value }),
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) {
      $('loginError').textContent = body.message || `登录失败（${res.status}）`;
      return;
    }
    $('password').value = '';
    token = body.token;
    store.setItem('hotline.console', token);
    await start();
  } catch {
    $('loginError').textContent = '无法连接服务器，请稍后重试。';
  }
});

$('btnLogout').addEventListener('click', async () => {
  await api('/auth/logout', { method: 'POST' }).catch(() => undefined);
  signedOut('');
});

function signedOut(msg) {
  token = '';
  me = null;
  store.removeItem('hotline.console');
  streamAbort?.abort();
  for (const v of ['wallboardView', 'configView', 'reportsView', 'auditView']) $(v).hidden = true;
  $('nav').hidden = true;
  $('btnLogout').hidden = true;
  $('who').textContent = '';
  $('loginView').hidden = false;
  $('loginError').textContent = msg;
  $('username').focus();
}

async function start() {
  me = await api('/auth/me');
  if (me.roles.length === 1 && me.roles[0] === 'agent') {
    signedOut('坐席账号请使用坐席工作台（/agent/）。');
    return;
  }
  $('loginView').hidden = true;
  $('loginError').textContent = '';
  $('nav').hidden = false;
  $('btnLogout').hidden = false;
  $('who').textContent =
    `${me.displayName || me.name}（${me.roles.map((r) => ROLE_LABELS[r] || r).join('、')}）`;
  show(location.hash.slice(1) || 'wallboard');
}

const ROLE_LABELS = { operator: '运维配置', supervisor: '班长', agent: '坐席', auditor: '审计' };

// ---------- views ----------

function show(view) {
  if (!['wallboard', 'config', 'reports', 'audit'].includes(view)) view = 'wallboard';
  for (const v of ['wallboard', 'config', 'reports', 'audit']) $(`${v}View`).hidden = v !== view;
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('on', a.dataset.view === view);
  // The live badge belongs to the wallboard's stream, which runs only while the board is shown.
  $('live').hidden = view !== 'wallboard';
  if (view === 'wallboard') startStream();
  else streamAbort?.abort();
  if (view === 'audit') void loadAudit();
  if (view === 'config') void renderConfig($('configView'), me);
  if (view === 'reports' && !$('reportDate').value) {
    $('reportDate').value = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    void loadReport();
  }
}
window.addEventListener('hashchange', () => me && show(location.hash.slice(1)));

// ---------- wallboard ----------

function setLive(on) {
  $('live').dataset.live = on ? 'on' : 'off';
  $('live').textContent = on ? '实时' : '重连中…';
}

async function startStream() {
  streamAbort?.abort();
  const ctl = new AbortController();
  streamAbort = ctl;
  void loadTidal();
  // The plan's moves change on their own schedule: read them again every 30 s while the board is shown.
  const tidalTimer = setInterval(() => void loadTidal(), 30_000);
  ctl.signal.addEventListener('abort', () => clearInterval(tidalTimer));
  for (let attempt = 0; !ctl.signal.aborted; attempt++) {
    try {
      const res = await fetch('/admin/wallboard/stream', {
        headers: { authorization: `Bearer ${token}` },
        signal: ctl.signal,
      });
      if (res.status === 401) return signedOut('登录已失效，请重新登录。');
      if (!res.ok || !res.body) throw new Error(String(res.status));
      setLive(true);
      attempt = 0;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (ev === 'wallboard' && data) renderWallboard(JSON.parse(data));
        }
      }
    } catch {
      if (ctl.signal.aborted) return;
    }
    setLive(false);
    await new Promise((r) => setTimeout(r, Math.min(5000, 500 * 2 ** attempt)));
  }
}

let lastBoard = null;
const picked = new Set();

function renderWallboard(w) {
  lastBoard = w;
  const alarms = $('alarms');
  alarms.replaceChildren(
    ...(w.alarms.length
      ? w.alarms.map((a) => el('li', { class: `alarm ${a.level}`, 'data-code': a.code }, a.text))
      : [el('li', { class: 'alarm ok' }, '各项指标正常')]),
  );
  const k = w.kpis;
  const t = w.targets;
  const row = (label, f, target) =>
    el(
      'tr',
      {},
      el('th', { scope: 'row' }, label),
      ...[k.interval, k.today, k.rolling24h].map((x) => el('td', {}, f(x))),
      el('td', {}, target),
    );
  $('kpiRows').replaceChildren(
    row('来电量', (x) => String(x.offered), ''),
    row('接通量', (x) => String(x.answered), ''),
    row('接通率', (x) => pct(x.answerRate), `≥ ${pct(t.answerRate)}`),
    row(`${t.serviceLevelS}秒内接通`, (x) => pct(x.serviceLevel), `≥ ${pct(t.serviceLevel)}`),
    row('平均应答时长', (x) => secs(x.asaS), `≤ ${t.serviceLevelS} 秒`),
    row('放弃率', (x) => pct(x.abandonRate), ''),
    row('关爱来电平均等待', (x) => secs(x.careAvgWaitS), `≤ ${t.careWaitS} 秒`),
  );
  $('queueRows').replaceChildren(
    ...w.queues.map((q) =>
      el(
        'tr',
        { 'data-skill': q.skill, class: q.waiting.total ? 'busy' : '' },
        el('td', {}, q.name),
        el('td', {}, q.lines.join('、')),
        el('td', { class: q.waiting.care ? 'care' : '' }, String(q.waiting.care)),
        el('td', {}, String(q.waiting.enterprise)),
        el('td', {}, String(q.waiting.normal)),
        el('td', {}, String(q.waiting.total)),
        el(
          'td',
          { class: q.longestS > t.serviceLevelS ? 'late' : '' },
          q.waiting.total ? `${q.longestS} 秒` : '—',
        ),
      ),
    ),
  );
  $('incidents').textContent = w.incidents ? `生效中的突发事件公告 ${w.incidents} 条` : '';
  // What each announcement says: the supervisor sees why callers are ringing, not just that something is on.
  $('incidentList').replaceChildren(
    ...(w.activeIncidents || []).map((i) =>
      el(
        'li',
        { 'data-incident': i.id },
        el('strong', {}, i.title),
        `（${i.lines.includes('*') ? '全部线路' : i.lines.join('、')}，至 ${HHMM.format(new Date(i.endsAt))}）`,
      ),
    ),
  );
  $('ivrRows').replaceChildren(
    ...(w.ivr.length
      ? w.ivr.map((f) =>
          el(
            'tr',
            { 'data-line': f.line },
            ...[f.line, f.entered, f.zero, f.noInput, f.invalid, f.hungUp].map((v) =>
              el('td', {}, String(v)),
            ),
          ),
        )
      : [el('tr', {}, el('td', { colspan: 6, class: 'muted' }, '今日尚无来电进入语音导航'))]),
  );
  $('onDuty').textContent = w.agents.onDuty ? `在岗 ${w.agents.onDuty} 人` : '当前无人在岗';
  $('onDuty').classList.toggle('late', !w.agents.onDuty);
  $('pools').replaceChildren(
    ...Object.entries(w.agents.byPool).map(([pool, states]) =>
      el(
        'div',
        { class: 'pool' },
        el('strong', {}, POOL_LABELS[pool] || pool),
        ' ',
        Object.entries(states)
          .map(([s, n]) => `${STATE_LABELS[s] || s} ${n}`)
          .join('，'),
      ),
    ),
  );
  $('agentRows').replaceChildren(...w.agents.list.map(agentRow));
}

function agentRow(a) {
  const state = `${STATE_LABELS[a.state] || a.state}${a.reason ? `（${REASON_LABELS[a.reason] || a.reason}）` : ''}`;
  const box = el('input', {
    type: 'checkbox',
    'aria-label': `选择 ${a.name}`,
    onchange: (e) => (e.target.checked ? picked.add(a.id) : picked.delete(a.id)),
  });
  box.checked = picked.has(a.id);
  return el(
    'tr',
    { 'data-agent': a.id, 'data-state': a.state },
    el('td', {}, box),
    el('td', {}, a.id),
    el('td', {}, a.name),
    el(
      'td',
      {},
      POOL_LABELS[a.pool || 'front'] || a.pool,
      onFront.has(a.id) ? el('span', { class: 'tidal' }, ' 潮汐调入') : null,
    ),
    el('td', { class: `st st-${a.state}` }, state),
    el(
      'td',
      { class: 'actions' },
      el(
        'button',
        {
          type: 'button',
          'data-act': 'not_ready',
          disabled: a.state === 'logged_out' || undefined,
          onclick: () => force(a, 'not_ready'),
        },
        '强制示忙',
      ),
      el(
        'button',
        {
          type: 'button',
          'data-act': 'logged_out',
          disabled: a.state === 'logged_out' || undefined,
          onclick: () => force(a, 'logged_out'),
        },
        '强制签出',
      ),
      a.state === 'wrapup'
        ? el('button', { type: 'button', 'data-act': 'end-wrapup', onclick: () => endWrapup(a) }, '结束整理')
        : null,
    ),
  );
}

async function force(a, state) {
  const note = window.prompt(`${state === 'logged_out' ? '强制签出' : '强制示忙'} ${a.name}：请填写原因`, '');
  if (note === null) return;
  if (!note.trim()) return say('请填写原因', true);
  try {
    await api(`/admin/agents/${encodeURIComponent(a.id)}/state`, {
      method: 'POST',
      body: {
        state,
        ...(state === 'not_ready' ? { reason: 'meeting' } : {}),
        // Audited as a supervisor's forced state (why; the server records who signed in), on a call or not.
        force: true,
        note: note.trim(),
      },
    });
    say(`已将 ${a.name} 设为${STATE_LABELS[state]}`);
  } catch (err) {
    say(`操作失败：${err.message}`, true);
  }
}

async function endWrapup(a) {
  try {
    await api(`/admin/agents/${encodeURIComponent(a.id)}/end-wrapup`, { method: 'POST' });
    say(`已结束 ${a.name} 的话后整理`);
  } catch (err) {
    say(`操作失败：${err.message}`, true);
  }
}

$('pickAll').addEventListener('change', (e) => {
  for (const a of lastBoard?.agents.list || []) {
    if (e.target.checked) picked.add(a.id);
    else picked.delete(a.id);
  }
  if (lastBoard) renderWallboard(lastBoard);
});

$('msgForm').addEventListener('submit', async (e) => {
  e.preventDefault();
  const text = $('msgText').value.trim();
  if (!picked.size) return say('请先勾选坐席', true);
  if (!text) return say('请输入消息内容', true);
  try {
    const r = await api('/admin/desktop/message', {
      method: 'POST',
      body: {
        agentIds: [...picked],
        text,
        level: $('msgUrgent').checked ? 'urgent' : 'info',
      },
    });
    say(`消息已发送给 ${r.sent.length} 位坐席`);
    $('msgText').value = '';
  } catch (err) {
    say(`发送失败：${err.message}`, true);
  }
});

const today = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);

let tidalVersion;

export const MOVE_STATES = {
  planned: '待执行',
  announced: '已通知',
  'on-front': '在一线',
  returned: '已返回',
  skipped: '已跳过',
  cancelled: '已取消',
};
export const HHMM = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
});

function moveRow(m) {
  const open = m.state === 'planned' || m.state === 'announced' || m.state === 'on-front';
  return el(
    'tr',
    { 'data-move': m.id, 'data-state': m.state },
    el('td', {}, m.kind === 'emergency' ? `${m.id}（应急）` : m.id),
    el('td', {}, m.agentId),
    el('td', {}, HHMM.format(new Date(m.announceAt))),
    el('td', {}, HHMM.format(new Date(m.effectiveAt))),
    el('td', {}, HHMM.format(new Date(m.returnAt))),
    el('td', {}, MOVE_STATES[m.state] || m.state),
    el(
      'td',
      {},
      open
        ? el(
            'button',
            { type: 'button', class: 'secondary', onclick: () => changeMove(m, m.state === 'on-front') },
            m.state === 'on-front' ? '立即结束' : '取消',
          )
        : null,
    ),
  );
}

/** Cancels a move that has not begun, or ends one now (the agent goes back to the back office). */
async function changeMove(m, started) {
  try {
    await api(`/admin/tidal/plan/${today()}/moves/${m.id}`, {
      method: 'PATCH',
      body: { version: tidalVersion, cancel: true },
    });
    say(`调岗 ${m.id}（${m.agentId}）已${started ? '结束' : '取消'}`);
  } catch (err) {
    say(`调岗操作失败：${err.message}`, true);
  }
  void loadTidal();
}
/** Backup seats the tidal plan has moved to the front line now (marked on the board). */
let onFront = new Set();

async function loadTidal() {
  try {
    const [status, svg] = await Promise.all([
      api('/admin/tidal/status'),
      api('/admin/tidal/chart.svg?width=1100').catch(() => ''),
    ]);
    const PLAN = { draft: '待批准', approved: '已批准', cancelled: '已取消' };
    const moves = status.plan?.moves || [];
    $('tidalStatus').textContent = status.plan
      ? `今日计划（第 ${status.plan.version} 版）：${PLAN[status.plan.status] || status.plan.status}；调岗 ${moves.length} 人次，当前在一线 ${status.onFront.length} 人`
      : '今日尚未生成潮汐计划';
    $('btnTidalApprove').disabled = status.plan?.status !== 'draft';
    $('btnTidalCancel').disabled = !status.plan || status.plan.status === 'cancelled';
    tidalVersion = status.plan?.version;
    $('moveRows').replaceChildren(...moves.map(moveRow));
    onFront = new Set(status.onFront || []);
    const holder = $('tidalChart');
    holder.replaceChildren();
    if (svg) {
      const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
      if (doc.documentElement.nodeName === 'svg')
        holder.append(document.importNode(doc.documentElement, true));
    }
  } catch (err) {
    $('tidalStatus').textContent = `潮汐排班：${err.message}`;
  }
}

for (const [id, act, label] of [
  ['btnTidalApprove', 'approve', '批准'],
  ['btnTidalCancel', 'cancel', '取消'],
]) {
  $(id).addEventListener('click', async () => {
    try {
      await api(`/admin/tidal/plan/${today()}/${act}`, {
        method: 'POST',
        body: { version: tidalVersion },
      });
      say(`今日潮汐计划已${label}`);
      void loadTidal();
    } catch (err) {
      say(`${label}失败：${err.message}`, true);
    }
  });
}

$('btnEmergency').addEventListener('click', async () => {
  const count = Number($('emCount').value);
  const durationMin = Number($('emMin').value);
  try {
    const r = await api('/admin/tidal/emergency', {
      method: 'POST',
      body: { count, durationMin, note: '监控大屏应急调入' },
    });
    say(`已应急调入 ${r.moves.length} 席，${durationMin} 分钟后返回`);
  } catch (err) {
    say(`应急调入失败：${err.message}`, true);
  }
  void loadTidal();
});

// ---------- audit ----------

const TIME = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});
const brief = (v) => {
  if (v === undefined) return '';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 160 ? `${s.slice(0, 160)}…` : s;
};

async function loadAudit() {
  const rows = await api('/admin/audit?limit=200');
  $('auditRows').replaceChildren(
    ...rows.map((e) =>
      el(
        'tr',
        {},
        el('td', {}, TIME.format(new Date(e.at))),
        el('td', {}, e.actor),
        el('td', {}, e.action),
        el('td', {}, e.target),
        el('td', { class: 'json' }, brief(e.before)),
        el('td', { class: 'json' }, brief(e.after ?? e.request)),
      ),
    ),
  );
}

// ---------- reports ----------

$('reportForm').addEventListener('submit', (e) => {
  e.preventDefault();
  void loadReport();
});
$('btnPrint').addEventListener('click', () => window.print());

async function loadReport() {
  const kind = $('reportKind').value;
  const date = $('reportDate').value;
  const q = `/admin/reports/${kind}?date=${date}`;
  try {
    const r = await api(q);
    $('report').replaceChildren(renderReport(r));
    const csv = await api(`${q}&format=csv`);
    const a = $('reportCsv');
    a.href = `data:text/csv;charset=utf-8,${encodeURIComponent(`\ufeff${csv}`)}`;
    a.download = `12345-${kind}-${date}.csv`;
  } catch (err) {
    $('report').textContent = `报表生成失败：${err.message}`;
  }
}

function renderReport(r) {
  const cols = [
    ['lineName', '线路'],
    ['offered', '来电量'],
    ['answered', '接通量'],
    ['answerRate', '接通率', pct],
    ['serviceLevel', '15秒内接通', pct],
    ['asaS', '平均应答', secs],
    ['ahtS', '平均通话', secs],
    ['abandonRate', '放弃率', pct],
    ['careAvgWaitS', '关爱平均等待', secs],
    ['surveyAverage', '满意度', (x) => (x === null ? '—' : x.toFixed(2))],
    ['repeatCallers', '重复来电人数'],
    ['callbacksPlaced', '漏接回拨'],
    ['calledBack', '漏接回拨接通'],
  ];
  return el(
    'section',
    {},
    el(
      'h2',
      {},
      `${r.kind === 'weekly' ? '周报' : '日报'}：${r.from}${r.to !== r.from ? ` 至 ${r.to}` : ''}`,
    ),
    el(
      'table',
      {},
      el('thead', {}, el('tr', {}, ...cols.map(([, h]) => el('th', { scope: 'col' }, h)))),
      el(
        'tbody',
        {},
        ...r.lines.map((l) =>
          el(
            'tr',
            { 'data-line': l.line },
            ...cols.map(([k, , f]) => el('td', {}, f ? f(l[k]) : String(l[k] ?? '—'))),
          ),
        ),
      ),
    ),
  );
}

if (token) start().catch(() => signedOut(''));
else signedOut('');
