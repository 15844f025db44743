// Operator pages: every resource operators tune, listed from its GET and edited as JSON through the same admin
// API (PUT, POST, DELETE). The server validates; its reason is shown as it comes.
import { api, el, HHMM, MOVE_STATES } from './app.js';
import { bodySchema, schemaForm } from './schema-form.js';

// Each resource: how it is listed (GET), its columns, and its write route (the form comes from that route's body
// schema). `key` names an item in its URL; when the body lacks it, the form asks for it (new items only).
const RESOURCES = [
  {
    id: 'lines',
    title: '号码规划（服务线路）',
    list: '/admin/lines',
    key: 'number',
    cols: [
      ['number', '号码'],
      ['name', '名称'],
      ['mergeMode', '融合模式'],
      ['skill', '技能组'],
    ],
    route: () => ['/admin/lines/{number}', 'put'],
    write: (x) => ['PUT', `/admin/lines/${x.number}`, x],
    template: () => ({ mergeMode: 'merged', skill: 'general', nameEn: '' }),
  },
  {
    id: 'queues',
    title: '队列与技能组',
    list: '/admin/queues',
    key: 'skill',
    cols: [
      ['skill', '技能组'],
      ['name', '名称'],
      ['maxWaitS', '最长等待(秒)'],
      ['overflowTo', '溢出到'],
      ['serviceLevelS', '服务水平(秒)'],
    ],
    route: () => ['/admin/queues/{skill}', 'put'],
    write: (x) => ['PUT', `/admin/queues/${x.skill}`, x],
    template: () => ({
      overflowAfterS: 60,
      overflowTo: 'general',
      maxWaitS: 600,
      fallback: { kind: 'callback' },
      wrapupS: 5,
      serviceLevelS: 15,
    }),
  },
  {
    id: 'agents',
    title: '坐席',
    list: '/admin/agents',
    key: 'id',
    cols: [
      ['id', '工号'],
      ['name', '姓名'],
      ['extension', '分机'],
      ['skills', '技能'],
      ['state', '状态'],
    ],
    route: () => ['/admin/agents/{id}', 'put'],
    write: (x) => {
      const { id, ...body } = x;
      return ['PUT', `/admin/agents/${id}`, body];
    },
    template: () => ({ skills: { general: 1 } }),
  },
  {
    id: 'care',
    title: '关爱名单（号码已脱敏）',
    list: '/admin/care-list',
    key: 'number',
    cols: [
      ['number', '号码'],
      ['kind', '类别'],
      ['note', '备注'],
      ['addedBy', '登记人'],
    ],
    route: () => ['/admin/care-list/{number}', 'put'],
    write: (x) => {
      const { number, ...body } = x;
      return ['PUT', `/admin/care-list/${number}`, body];
    },
    // Listed numbers are masked: entries are added (or removed) by typing the full number.
    editable: false,
    remove: { label: '按号码删除', url: (number) => `/admin/care-list/${number}` },
    template: () => ({ kind: 'elderly' }),
  },
  {
    id: 'incidents',
    title: '突发事件公告',
    list: '/admin/incidents',
    key: 'id',
    cols: [
      ['id', '编号'],
      ['lines', '线路'],
      ['active', '生效中'],
      ['acks', '按键确认数'],
    ],
    route: () => ['/admin/incidents', 'post'],
    write: (x) => ['POST', '/admin/incidents', x],
    keyInBody: true,
    del: (x) => `/admin/incidents/${x.id}`,
    editable: false,
    template: () => ({
      lines: ['*'],
      prompt: { file: 'ivr/incident.wav', text: '因供水管道抢修，部分区域今日停水，预计18时恢复。' },
      ackDigit: '1',
      startsAt: new Date().toISOString(),
      endsAt: new Date(Date.now() + 6 * 3600_000).toISOString(),
    }),
  },
  {
    id: 'roster',
    title: '潮汐排班花名册',
    list: '/admin/tidal/roster',
    key: 'id',
    cols: [
      ['id', '工号'],
      ['name', '姓名'],
      ['homePool', '常驻池'],
      ['shift', '班次'],
      ['frontSkills', '一线技能'],
    ],
    route: () => ['/admin/tidal/roster/{id}', 'put'],
    write: (x) => {
      const { id, ...body } = x;
      return ['PUT', `/admin/tidal/roster/${id}`, body];
    },
    del: (x) => `/admin/tidal/roster/${x.id}`,
    template: () => ({
      homePool: 'back',
      frontSkills: { general: 3 },
      backSkills: { workorder: 3 },
      shift: '08:00-17:00',
    }),
  },
  {
    id: 'users',
    title: '用户与角色',
    list: '/admin/users',
    key: 'username',
    cols: [
      ['username', '用户名'],
      ['displayName', '姓名'],
      ['roles', '角色'],
      ['agentId', '坐席工号'],
      ['disabled', '停用'],
    ],
    route: (isNew) => (isNew ? ['/admin/users', 'post'] : ['/admin/users/{username}', 'patch']),
    write: (x, isNew) => {
      if (isNew) return ['POST', '/admin/users', x];
      const { username, ...body } = x;
      return ['PATCH', `/admin/users/${username}`, body];
    },
    del: (x) => `/admin/users/${x.username}`,
    template: () => ({ roles: ['supervisor'] }),
  },
];

const show = (v) =>
  v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);

export async function renderConfig(root, me) {
  root.replaceChildren(
    el(
      'p',
      { class: 'muted' },
      '各项配置通过同一管理接口保存，表单按接口的校验规则生成，服务器再次校验；所有变更记入审计日志。',
    ),
  );
  for (const r of RESOURCES) root.append(section(r, me));
  root.append(await ivrSection());
  root.append(planSection());
}

function section(r, me) {
  const body = el('div', { class: 'res-body' });
  const box = el('details', { class: 'res', 'data-res': r.id }, el('summary', {}, r.title), body);
  const editorBox = el('div', { class: 'editor' });
  const result = el('p', { class: 'status-line', role: 'status' });
  const setResult = (t, bad) => {
    result.textContent = t;
    result.classList.toggle('err', !!bad);
  };
  let editing = null; // { isNew, read }

  const edit = async (value, isNew) => {
    const [path, method] = r.route(isNew);
    const schema = await bodySchema(path, method);
    const needKey = !r.keyInBody && !(schema.properties || {})[r.key];
    const extra = needKey ? { [r.key]: { type: 'string', pattern: '^[A-Za-z0-9_+-]{1,32}$' } } : {};
    const f = schemaForm(schema, value, extra);
    if (!isNew && f.field(r.key)) f.field(r.key).readOnly = true;
    editing = { isNew, read: f.read };
    editorBox.replaceChildren(
      el('h3', {}, isNew ? `新增：${r.title}` : `编辑：${show(value[r.key])}`),
      f.form,
      el(
        'div',
        { class: 'row' },
        el('button', { type: 'button', 'data-save': r.id, onclick: save }, '保存'),
        el(
          'button',
          { type: 'button', class: 'secondary', onclick: () => editorBox.replaceChildren() },
          '关闭',
        ),
      ),
    );
    f.form.querySelector('input,select,textarea')?.focus();
  };

  const load = async () => {
    let items;
    try {
      items = await api(r.list);
    } catch (err) {
      body.replaceChildren(el('p', { class: 'err' }, `读取失败：${err.message}`));
      return;
    }
    const rows = items.map((x) =>
      el(
        'tr',
        { 'data-key': show(x[r.key]) },
        ...r.cols.map(([k]) => el('td', {}, show(x[k]))),
        el(
          'td',
          {},
          r.editable === false
            ? null
            : el(
                'button',
                { type: 'button', class: 'secondary', onclick: () => void edit(x, false) },
                '编辑',
              ),
          r.del
            ? el(
                'button',
                { type: 'button', class: 'secondary', onclick: () => void remove(r.del(x), show(x[r.key])) },
                '删除',
              )
            : null,
        ),
      ),
    );
    const removeBox = r.remove
      ? el(
          'div',
          { class: 'row' },
          el('input', { 'aria-label': r.remove.label, placeholder: '完整号码', 'data-remove': r.id }),
          el(
            'button',
            {
              type: 'button',
              class: 'secondary',
              onclick: (e) =>
                void remove(
                  r.remove.url(e.target.previousSibling.value.trim()),
                  e.target.previousSibling.value.trim(),
                ),
            },
            r.remove.label,
          ),
        )
      : null;
    body.replaceChildren(
      el(
        'table',
        {},
        el(
          'thead',
          {},
          el('tr', {}, ...r.cols.map(([, h]) => el('th', { scope: 'col' }, h)), el('th', {}, '')),
        ),
        el('tbody', {}, ...rows),
      ),
      el(
        'div',
        { class: 'row' },
        el(
          'button',
          { type: 'button', 'data-new': r.id, onclick: () => void edit(r.template(me), true) },
          '新增',
        ),
        removeBox,
      ),
      editorBox,
      result,
    );
  };

  const save = async () => {
    let x;
    try {
      x = editing.read();
    } catch (err) {
      return setResult(err.message, true);
    }
    const [method, url, payload] = r.write(x, editing.isNew);
    try {
      await api(url, { method, body: payload });
      editorBox.replaceChildren();
      await load();
      setResult('已保存');
    } catch (err) {
      setResult(`保存失败：${err.message}`, true);
    }
  };

  const remove = async (url, name) => {
    if (!name || !window.confirm(`确定删除 ${name}？`)) return;
    try {
      await api(url, { method: 'DELETE' });
      await load();
      setResult('已删除');
    } catch (err) {
      setResult(`删除失败：${err.message}`, true);
    }
  };
  box.addEventListener('toggle', () => box.open && void load());
  return box;
}

const PLAN_STATUS = { draft: '待批准', approved: '已批准', cancelled: '已取消' };
const hhmm = (t) => HHMM.format(new Date(t));

/** The windows of the day with backup seats on the front line, and how many: consecutive intervals run together. */
function seatWindows(plan) {
  const step = plan.intervalMin * 60_000;
  const out = [];
  plan.moved.forEach((n, i) => {
    const last = out[out.length - 1];
    if (n > 0 && last && last.seats === n && last.to === plan.dayStart + i * step) last.to += step;
    else if (n > 0)
      out.push({ from: plan.dayStart + i * step, to: plan.dayStart + (i + 1) * step, seats: n });
  });
  return out;
}

/**
 * A day's tidal plan: made from the forecast and the roster, shown with its moves (times) and the seats moved per
 * window, approved or cancelled through the same routes as the wallboard's buttons (supervisors only; anyone else
 * sees the server's reason).
 */
function planSection() {
  const date = el('input', { type: 'date', 'aria-label': '计划日期', 'data-plan': 'date' });
  date.value = new Date(Date.now() + 8 * 3600_000 + 86_400_000).toISOString().slice(0, 10);
  const cap = el('input', { type: 'number', min: 0, max: 500, value: 3, 'aria-label': '调入上限（席）' });
  const view = el('div', { 'data-plan': 'view' });
  const result = el('p', { class: 'status-line', role: 'status' });
  const setResult = (t, bad) => {
    result.textContent = t;
    result.classList.toggle('err', !!bad);
  };
  let shown = null;

  const render = (p) => {
    const windows = seatWindows(p);
    const peak = Math.max(0, ...p.moved);
    const short = Math.max(0, ...p.uncovered);
    const live = p.moves.filter((m) => !m.cancelled);
    view.replaceChildren(
      el(
        'p',
        { 'data-plan': 'status', 'data-status': p.status },
        `${p.date} 潮汐计划第 ${p.version} 版：${PLAN_STATUS[p.status] || p.status}`,
        p.createdBy ? `；生成：${p.createdBy}` : '',
        p.approvedBy ? `；批准：${p.approvedBy}` : '',
        p.cancelledBy ? `；取消：${p.cancelledBy}` : '',
      ),
      el(
        'p',
        { 'data-plan': 'seats' },
        `调岗 ${live.length} 人次；调入上限 ${p.capSeats} 席，最多同时调入 ${peak} 席` +
          (short ? `，高峰仍缺 ${short} 席` : ''),
      ),
      windows.length
        ? el(
            'ul',
            { 'data-plan': 'windows' },
            ...windows.map((w) => el('li', {}, `${hhmm(w.from)}–${hhmm(w.to)} 调入 ${w.seats} 席`)),
          )
        : el('p', { class: 'muted' }, '全天无需调入备岗席位'),
      el(
        'table',
        {},
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            ...['调岗', '坐席', '通知', '调入', '返回', '状态'].map((h) => el('th', { scope: 'col' }, h)),
          ),
        ),
        el(
          'tbody',
          { 'data-plan': 'moves' },
          ...p.moves.map((m) =>
            el(
              'tr',
              { 'data-move': m.id },
              el('td', {}, m.kind === 'emergency' ? `${m.id}（应急）` : m.id),
              el('td', {}, m.agentId),
              el('td', {}, hhmm(m.announceAt)),
              el('td', {}, hhmm(m.effectiveAt)),
              el('td', {}, hhmm(m.returnAt)),
              el('td', {}, MOVE_STATES[m.state] || (m.cancelled ? '已取消' : m.state || '')),
            ),
          ),
        ),
      ),
      el(
        'div',
        { class: 'row' },
        el(
          'button',
          {
            type: 'button',
            'data-plan-act': 'approve',
            disabled: p.status !== 'draft' || undefined,
            onclick: () => void act('approve', '批准'),
          },
          '批准计划',
        ),
        el(
          'button',
          {
            type: 'button',
            class: 'secondary',
            'data-plan-act': 'cancel',
            disabled: p.status === 'cancelled' || undefined,
            onclick: () => void act('cancel', '取消'),
          },
          '取消计划',
        ),
      ),
    );
  };

  const load = async () => {
    try {
      shown = await api(`/admin/tidal/plan?date=${encodeURIComponent(date.value)}`);
      render(shown);
    } catch (err) {
      shown = null;
      view.replaceChildren(
        el(
          'p',
          { class: err.status === 404 ? 'muted' : 'err', 'data-plan': 'status', 'data-status': 'none' },
          err.status === 404 ? `${date.value} 尚无潮汐计划` : `读取失败：${err.message}`,
        ),
      );
    }
  };

  const make = async () => {
    try {
      const p = await api('/admin/tidal/plan', {
        method: 'POST',
        body: { date: date.value, options: { capSeats: Number(cap.value) } },
      });
      setResult(`已生成 ${p.date} 的计划第 ${p.version} 版（${p.moves.length} 次调岗），待班长批准`);
    } catch (err) {
      setResult(`生成失败：${err.message}`, true);
    }
    await load();
  };

  const act = async (what, label) => {
    if (!shown) return;
    if (what === 'cancel' && !window.confirm(`确定取消 ${shown.date} 的潮汐计划？未开始的调岗将不再执行。`))
      return;
    try {
      await api(`/admin/tidal/plan/${shown.date}/${what}`, {
        method: 'POST',
        body: { version: shown.version },
      });
      setResult(`${shown.date} 的潮汐计划已${label}`);
    } catch (err) {
      setResult(`${label}失败：${err.message}`, true);
    }
    await load();
  };

  date.addEventListener('change', () => void load());
  const box = el(
    'details',
    { class: 'res', 'data-res': 'plan' },
    el('summary', {}, '潮汐计划（按预测生成、查看、批准）'),
    el(
      'div',
      { class: 'row' },
      el('label', {}, '日期 ', date),
      el('label', {}, '调入上限（席） ', cap),
      el('button', { type: 'button', 'data-plan-act': 'make', onclick: () => void make() }, '生成计划'),
      el('button', { type: 'button', class: 'secondary', onclick: () => void load() }, '查看'),
    ),
    result,
    view,
  );
  box.addEventListener('toggle', () => box.open && void load());
  return box;
}

async function ivrSection() {
  const body = el('div', { class: 'res-body' });
  const box = el(
    'details',
    { class: 'res', 'data-res': 'ivr' },
    el('summary', {}, '语音导航菜单（校验、发布、回滚）'),
    body,
  );
  const editor = el('textarea', { rows: 16, spellcheck: 'false', 'aria-label': '菜单文档' });
  const result = el('p', { class: 'status-line', role: 'status' });
  const lineSel = el('select', { 'aria-label': '线路' });
  const setResult = (t, bad) => {
    result.textContent = t;
    result.classList.toggle('err', !!bad);
  };
  const load = async () => {
    const cur = await api('/admin/ivr');
    lineSel.replaceChildren(
      ...cur.map((c) => el('option', { value: c.line }, `${c.line}（当前第 ${c.version} 版，${c.mode}）`)),
    );
    await open();
  };
  const versions = el('tbody', {});
  const TIME = new Intl.DateTimeFormat('zh-CN', {
    timeZone: 'Asia/Shanghai',
    dateStyle: 'short',
    timeStyle: 'short',
  });
  const open = async (version) => {
    if (!lineSel.value) return;
    const m = await api(`/admin/ivr/${lineSel.value}${version ? `?version=${version}` : ''}`);
    editor.value = JSON.stringify(m.doc ?? m, null, 2);
    // The line's versions: who published or rolled back what, and when; any version can be opened.
    const trail = (await api('/admin/ivr/audit')).filter((e) => e.line === lineSel.value);
    versions.replaceChildren(
      ...trail.map((e) =>
        el(
          'tr',
          { 'data-version': e.version },
          el('td', {}, `第 ${e.version} 版`),
          el('td', {}, e.action === 'publish' ? '发布' : '回滚'),
          el('td', {}, e.operator),
          el('td', {}, TIME.format(new Date(e.at))),
          el(
            'td',
            {},
            el('button', { type: 'button', class: 'secondary', onclick: () => void open(e.version) }, '查看'),
          ),
        ),
      ),
    );
  };
  lineSel.addEventListener('change', () => void open());
  body.append(
    el(
      'table',
      { class: 'versions' },
      el(
        'thead',
        {},
        el('tr', {}, ...['版本', '操作', '操作人', '时间', ''].map((h) => el('th', { scope: 'col' }, h))),
      ),
      versions,
    ),
  );
  const doc = () => JSON.parse(editor.value);
  body.append(
    el('div', { class: 'row' }, lineSel),
    editor,
    el(
      'div',
      { class: 'row' },
      el(
        'button',
        {
          type: 'button',
          onclick: async () => {
            try {
              const r = await api('/admin/ivr/validate', { method: 'POST', body: doc() });
              setResult(
                r.ok === false ? `校验未通过：${JSON.stringify(r.errors ?? r)}` : '校验通过',
                r.ok === false,
              );
            } catch (err) {
              setResult(`校验未通过：${err.message}`, true);
            }
          },
        },
        '校验',
      ),
      el(
        'button',
        {
          type: 'button',
          onclick: async () => {
            try {
              const r = await api(`/admin/ivr/${lineSel.value}/publish`, {
                method: 'POST',
                body: { doc: doc() },
              });
              setResult(`已发布第 ${r.version} 版`);
              await load();
            } catch (err) {
              setResult(`发布失败：${err.message}`, true);
            }
          },
        },
        '发布',
      ),
      el(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: async () => {
            const v = window.prompt('回滚到第几版？', '');
            if (!v) return;
            try {
              await api(`/admin/ivr/${lineSel.value}/rollback`, {
                method: 'POST',
                body: { version: Number(v) },
              });
              setResult(`已回滚到第 ${v} 版`);
              await load();
            } catch (err) {
              setResult(`回滚失败：${err.message}`, true);
            }
          },
        },
        '回滚',
      ),
    ),
    result,
  );
  box.addEventListener('toggle', () => box.open && void load().catch((err) => setResult(err.message, true)));
  return box;
}
