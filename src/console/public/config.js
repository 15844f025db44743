// Operator pages: every resource operators tune, listed from its GET and edited as JSON through the same admin
// API (PUT, POST, DELETE). The server validates; its reason is shown as it comes.
import { api, el } from './app.js';

const op = (me) => me.displayName || me.name;

// key: the field that names an item in its URL; put/del: how an item is written and removed.
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
    put: (x) => ['PUT', `/admin/lines/${x.number}`, x],
    template: () => ({ number: '', name: '', nameEn: '', mergeMode: 'merged', skill: 'general' }),
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
    put: (x) => ['PUT', `/admin/queues/${x.skill}`, x],
    template: () => ({
      skill: '',
      name: '',
      overflowAfterS: 60,
      overflowTo: '',
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
    put: (x) => ['PUT', `/admin/agents/${x.id}`, { name: x.name, extension: x.extension, skills: x.skills }],
    template: () => ({ id: '', name: '', extension: '', skills: { general: 1 } }),
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
    put: (x, me) => [
      'PUT',
      `/admin/care-list/${x.number}`,
      { kind: x.kind, operator: x.operator || op(me), ...(x.note ? { note: x.note } : {}) },
    ],
    del: (x) => `/admin/care-list/${x.number}`,
    // Listed numbers are masked: edits and removals take the full number typed in the editor.
    editable: false,
    template: (me) => ({ number: '', kind: 'elderly', operator: op(me), note: '' }),
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
    put: (x) => ['POST', '/admin/incidents', x],
    del: (x) => `/admin/incidents/${x.id}`,
    editable: false,
    template: (me) => ({
      lines: ['*'],
      prompt: { text: '因供水管道抢修，部分区域今日停水，预计18时恢复。', file: 'ivr/incident-water.wav' },
      ackDigit: '1',
      startsAt: new Date().toISOString(),
      endsAt: new Date(Date.now() + 6 * 3600_000).toISOString(),
      operator: op(me),
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
    put: (x) => {
      const { id, lastMovedAt, ...body } = x;
      void lastMovedAt;
      return ['PUT', `/admin/tidal/roster/${id}`, body];
    },
    del: (x) => `/admin/tidal/roster/${x.id}`,
    template: () => ({
      id: '',
      name: '',
      homePool: 'back',
      frontSkills: { general: 1 },
      backSkills: { backoffice: 1 },
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
    put: (x, _me, isNew) =>
      isNew
        ? ['POST', '/admin/users', x]
        : [
            'PATCH',
            `/admin/users/${x.username}`,
            {
              displayName: x.displayName,
              roles: x.roles,
              disabled: x.disabled,
              ...(x.agentId ? { agentId: x.agentId } : {}),
            },
          ],
    del: (x) => `/admin/users/${x.username}`,
    template: () => ({ username: '', displayName: '', roles: ['supervisor'], password: '' }),
  },
];

const show = (v) =>
  v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);

export async function renderConfig(root, me) {
  root.replaceChildren(
    el('p', { class: 'muted' }, '各项配置通过同一管理接口保存，服务器校验后生效；所有变更记入审计日志。'),
  );
  for (const r of RESOURCES) root.append(await section(r, me));
  root.append(await ivrSection(me));
}

async function section(r, me) {
  const body = el('div', { class: 'res-body' });
  const box = el('details', { class: 'res', 'data-res': r.id }, el('summary', {}, r.title), body);
  const editor = el('textarea', { rows: 10, spellcheck: 'false', 'aria-label': `${r.title} 编辑` });
  const result = el('p', { class: 'status-line', role: 'status' });
  let isNew = false;
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
                {
                  type: 'button',
                  class: 'secondary',
                  onclick: () => {
                    isNew = false;
                    editor.value = JSON.stringify(x, null, 2);
                    editor.focus();
                  },
                },
                '编辑',
              ),
          r.del && r.editable !== false
            ? el('button', { type: 'button', class: 'secondary', onclick: () => remove(x) }, '删除')
            : null,
        ),
      ),
    );
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
          {
            type: 'button',
            onclick: () => {
              isNew = true;
              editor.value = JSON.stringify(r.template(me), null, 2);
              editor.focus();
            },
          },
          '新增',
        ),
        r.del && r.editable === false
          ? el('button', { type: 'button', class: 'secondary', onclick: () => removeTyped() }, '按编辑框删除')
          : null,
      ),
      editor,
      el('div', { class: 'row' }, el('button', { type: 'button', 'data-save': r.id, onclick: save }, '保存')),
      result,
    );
  };
  const save = async () => {
    let x;
    try {
      x = JSON.parse(editor.value);
    } catch {
      result.textContent = 'JSON 格式有误';
      result.classList.add('err');
      return;
    }
    const [method, url, payload] = r.put(x, me, isNew);
    try {
      await api(url, { method, body: payload });
      result.textContent = '已保存';
      result.classList.remove('err');
      isNew = false;
      await load();
      body.querySelector('.status-line').textContent = '已保存';
    } catch (err) {
      result.textContent = `保存失败：${err.message}`;
      result.classList.add('err');
    }
  };
  const remove = async (x) => {
    if (!window.confirm(`确定删除 ${show(x[r.key])}？`)) return;
    try {
      await api(r.del(x), { method: 'DELETE' });
      await load();
    } catch (err) {
      result.textContent = `删除失败：${err.message}`;
      result.classList.add('err');
    }
  };
  const removeTyped = async () => {
    try {
      await remove(JSON.parse(editor.value));
    } catch {
      result.textContent = '请在编辑框中填写要删除的条目（JSON）';
    }
  };
  box.addEventListener('toggle', () => box.open && void load());
  return box;
}

async function ivrSection(me) {
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
  const open = async () => {
    if (!lineSel.value) return;
    const m = await api(`/admin/ivr/${lineSel.value}`);
    editor.value = JSON.stringify(m.doc ?? m, null, 2);
  };
  lineSel.addEventListener('change', () => void open());
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
                body: { operator: op(me), doc: doc() },
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
                body: { operator: op(me), version: Number(v) },
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
