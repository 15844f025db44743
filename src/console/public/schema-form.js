// Forms generated from the API's own JSON Schemas (the OpenAPI document at /docs/json, built from the routes'
// TypeBox schemas): one field per property, with the server's limits as the browser's (pattern, min, max,
// choices). Nested maps and free-form objects are edited as JSON text. The server validates again.

const LABELS = {
  number: '号码',
  name: '名称',
  nameEn: '英文名称',
  mergeMode: '融合模式',
  skill: '技能组',
  subcenterUri: '分中心地址',
  extension: '分机',
  skills: '技能（JSON：技能组→熟练度1-5）',
  overflowAfterS: '溢出等待(秒)',
  overflowTo: '溢出到技能组',
  maxWaitS: '最长等待(秒)',
  fallback: '超时去向（JSON）',
  wrapupS: '话后整理(秒)',
  serviceLevelS: '服务水平(秒)',
  kind: '类别',
  operator: '操作人',
  note: '备注',
  lines: '线路（逗号分隔，* 为全部）',
  prompt: '提示音（JSON：file, text）',
  ackDigit: '确认按键',
  startsAt: '开始时间',
  endsAt: '结束时间',
  homePool: '常驻池',
  frontSkills: '一线技能（JSON）',
  backSkills: '后台技能（JSON）',
  shift: '班次（HH:MM-HH:MM）',
  username: '用户名',
  displayName: '姓名',
  roles: '角色（逗号分隔）',
  agentId: '坐席工号',
  password: '密码',
  disabled: '停用',
  id: '编号',
};

const choices = (s) => {
  if (Array.isArray(s.enum)) return s.enum;
  const alts = s.anyOf || s.oneOf;
  // TypeBox literals: {const} in JSON Schema, one-value enums once the OpenAPI document is made.
  if (alts && alts.every((a) => a.const !== undefined || a.enum?.length === 1))
    return alts.map((a) => (a.const !== undefined ? a.const : a.enum[0]));
  return null;
};

/**
 * A form for `schema` filled with `value`. `extra` adds fields the body lacks (the key in the URL).
 * Returns the form element and read(), which gives the value or throws with the field's name.
 */
export function schemaForm(schema, value = {}, extra = {}) {
  const props = { ...extra, ...(schema.properties || {}) };
  const required = new Set([...(schema.required || []), ...Object.keys(extra)]);
  const fields = [];
  const form = document.createElement('div');
  form.className = 'schema-form';
  for (const [name, s] of Object.entries(props)) {
    const id = `f-${name}-${Math.random().toString(36).slice(2, 8)}`;
    const label = document.createElement('label');
    label.htmlFor = id;
    label.textContent = `${LABELS[name] || name}${required.has(name) ? ' *' : ''}`;
    let input;
    const cur = value[name];
    const opts = choices(s);
    const t = s.type;
    let read;
    if (opts) {
      input = document.createElement('select');
      if (!required.has(name)) input.append(new Option('（不设）', ''));
      for (const o of opts) input.append(new Option(String(o), String(o)));
      input.value = cur === undefined ? (required.has(name) ? String(opts[0]) : '') : String(cur);
      read = () => (input.value === '' ? undefined : opts.find((o) => String(o) === input.value));
    } else if (t === 'boolean') {
      input = document.createElement('input');
      input.type = 'checkbox';
      input.checked = !!cur;
      read = () => input.checked;
    } else if (t === 'integer' || t === 'number') {
      input = document.createElement('input');
      input.type = 'number';
      if (s.minimum !== undefined) input.min = String(s.minimum);
      if (s.maximum !== undefined) input.max = String(s.maximum);
      if (t === 'integer') input.step = '1';
      input.value = cur === undefined ? '' : String(cur);
      read = () => (input.value === '' ? undefined : Number(input.value));
    } else if (t === 'string') {
      input = document.createElement('input');
      if (s.format === 'date-time') {
        input.type = 'datetime-local';
        const d = cur ? new Date(cur) : null;
        input.value = d
          ? new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16)
          : '';
        read = () => (input.value ? new Date(input.value).toISOString() : undefined);
      } else {
        if (s.pattern) input.pattern = s.pattern;
        if (s.maxLength) input.maxLength = s.maxLength;
        if (/pass/i.test(name)) input.type = 'password';
        input.value = cur === undefined ? '' : String(cur);
        read = () => (input.value === '' ? undefined : input.value);
      }
    } else if (t === 'array' && s.items && (s.items.type === 'string' || choices(s.items))) {
      input = document.createElement('input');
      input.value = Array.isArray(cur) ? cur.join(',') : '';
      read = () =>
        input.value.trim() === ''
          ? undefined
          : input.value
              .split(/[,，\s]+/)
              .map((x) => x.trim())
              .filter(Boolean);
    } else {
      input = document.createElement('textarea');
      input.rows = 2;
      input.spellcheck = false;
      input.value = cur === undefined ? '' : JSON.stringify(cur);
      read = () => {
        if (input.value.trim() === '') return undefined;
        try {
          return JSON.parse(input.value);
        } catch {
          throw new Error(`${LABELS[name] || name}：JSON 格式有误`);
        }
      };
    }
    input.id = id;
    input.name = name;
    if (s.description) input.title = s.description;
    const row = document.createElement('div');
    row.className = 'field';
    row.append(label, input);
    form.append(row);
    fields.push({ name, read, input, required: required.has(name) });
  }
  return {
    form,
    field: (name) => fields.find((f) => f.name === name)?.input,
    read() {
      const out = {};
      for (const f of fields) {
        if (f.input.validity && !f.input.validity.valid)
          throw new Error(`${LABELS[f.name] || f.name}：${f.input.validationMessage || '格式不对'}`);
        const v = f.read();
        if (v === undefined) {
          if (f.required) throw new Error(`${LABELS[f.name] || f.name}：必填`);
          continue;
        }
        out[f.name] = v;
      }
      return out;
    },
  };
}

let spec = null;

/** The request body schema of a route (`/admin/lines/{number}`, 'put'), from the OpenAPI document. */
export async function bodySchema(path, method) {
  spec ??= await fetch('/docs/json').then((r) => r.json());
  return (
    spec.paths?.[path]?.[method]?.requestBody?.content?.['application/json']?.schema ?? { properties: {} }
  );
}
