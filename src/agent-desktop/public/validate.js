// A small JSON Schema validator for the subset TypeBox emits (type, const, anyOf, properties,
// required, additionalProperties, patternProperties, items, min/max, lengths, pattern). The page
// validates every server message against the schema the router publishes at /agent/protocol.json.

/** Returns null when value matches schema, else a sentence naming the first problem and its path. */
export function check(schema, value, path) {
  path = path || '';
  if (!schema || typeof schema !== 'object') return null;
  if (Array.isArray(schema.anyOf)) {
    let first = null;
    for (const s of schema.anyOf) {
      const e = check(s, value, path);
      if (e === null) return null;
      first = first || e;
    }
    return first || `${path}: matches no alternative`;
  }
  if ('const' in schema && value !== schema.const) {
    return `${path}: expected ${JSON.stringify(schema.const)}`;
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value))
    return `${path}: not one of the allowed values`;
  const t = schema.type;
  if (t !== undefined && !typeOk(t, value)) return `${path}: expected ${t}`;
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) return `${path}: too short`;
    if (schema.maxLength !== undefined && value.length > schema.maxLength) return `${path}: too long`;
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) {
      return `${path}: does not match ${schema.pattern}`;
    }
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) return `${path}: below ${schema.minimum}`;
    if (schema.maximum !== undefined && value > schema.maximum) return `${path}: above ${schema.maximum}`;
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) return `${path}: too few items`;
    if (schema.maxItems !== undefined && value.length > schema.maxItems) return `${path}: too many items`;
    if (schema.items) {
      for (let i = 0; i < value.length; i++) {
        const e = check(schema.items, value[i], `${path}[${i}]`);
        if (e) return e;
      }
    }
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const props = schema.properties || {};
    for (const k of schema.required || []) {
      if (!(k in value) || value[k] === undefined) return `${path}.${k}: required`;
    }
    const keys = Object.keys(value);
    if (schema.minProperties !== undefined && keys.length < schema.minProperties)
      return `${path}: too few properties`;
    for (const k of keys) {
      if (Object.prototype.hasOwnProperty.call(props, k)) {
        const e = check(props[k], value[k], `${path}.${k}`);
        if (e) return e;
        continue;
      }
      let matched = false;
      for (const [re, s] of Object.entries(schema.patternProperties || {})) {
        if (new RegExp(re).test(k)) {
          matched = true;
          const e = check(s, value[k], `${path}.${k}`);
          if (e) return e;
        }
      }
      if (!matched && schema.additionalProperties === false) return `${path}.${k}: not allowed`;
      if (!matched && schema.additionalProperties && typeof schema.additionalProperties === 'object') {
        const e = check(schema.additionalProperties, value[k], `${path}.${k}`);
        if (e) return e;
      }
    }
  }
  return null;
}

function typeOk(t, v) {
  if (Array.isArray(t)) return t.some((x) => typeOk(x, v));
  switch (t) {
    case 'object':
      return v !== null && typeof v === 'object' && !Array.isArray(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'null':
      return v === null;
    default:
      return true;
  }
}

/** A validator for server messages from the published protocol document. */
export function serverValidator(doc) {
  return (msg) => {
    if (!msg || typeof msg !== 'object' || typeof msg.type !== 'string') return 'message without a type';
    const schema = doc.server[msg.type];
    if (!schema) return `unknown message type ${JSON.stringify(msg.type)}`;
    return check(schema, msg, msg.type);
  };
}
