// The agent-desktop protocol: every message the router sends to an agent's desktop and every message
// a desktop may send, as TypeBox schemas. The server validates client messages with the compiled
// schema; the page (src/agent-desktop/public/validate.js) validates server messages against the same
// schema, published as JSON at GET /agent/protocol.json. PROTOCOL.md explains the flow (login,
// resume, heartbeats, acknowledgements).
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/**
 * Version 2 = version 1 (hello, offer, answered, ended, state, error; ready, not_ready, ping) plus
 * sequence numbers and resume, login by message, wrap-up, tidal and supervisor notices, transfer
 * requests, acknowledgements and the context fields of the offer. Version 1 clients keep working:
 * every v1 field is still sent with the same meaning.
 */
export const PROTOCOL_VERSION = 2;

const Common = {
  v: Type.Integer({ description: 'Protocol version of the sender' }),
  at: Type.Integer({ description: 'When the router created the message, epoch milliseconds' }),
  seq: Type.Optional(
    Type.Integer({
      minimum: 1,
      description:
        'Per-agent sequence number. Present on every agent event (offer, answered, ended, wrap-up, state, tidal, supervisor); absent on replies to one socket (hello, error, result, pong). A desktop that reconnects sends the last one it saw and gets what it missed.',
    }),
  ),
};

const CallId = Type.String({ minLength: 1, maxLength: 64, description: 'The call, as the ACD knows it' });
const Ref = Type.Optional(
  Type.String({ maxLength: 64, description: "The desktop's own id for a command, echoed in its result" }),
);

export const PriorityClassSchema = Type.Union(
  [Type.Literal('care'), Type.Literal('enterprise'), Type.Literal('normal')],
  { description: 'care: 关爱 (elderly, disabled, care list); enterprise: 企业; normal: 普通' },
);

export const Link = Type.Object({
  title: Type.String({ minLength: 1, maxLength: 80 }),
  url: Type.String({ pattern: '^https?://', maxLength: 500 }),
});
export type Link = Static<typeof Link>;

export const SurveyScores = Type.Object(
  {
    speed: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
    resolution: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
    attitude: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
  },
  { description: 'Post-call survey ratings, 1 (worst) to 5' },
);

export const PreviousCall = Type.Object({
  callId: Type.String(),
  at: Type.Integer({ description: 'Arrival, epoch ms' }),
  line: Type.String(),
  outcome: Type.String({ description: 'answered, abandoned, transferred, ended-in-ivr, ...' }),
  outcomeLabel: Type.String({ description: 'The outcome in Chinese' }),
  agent: Type.Optional(Type.String()),
  ivrPath: Type.Array(Type.String()),
  talkS: Type.Optional(Type.Number()),
  survey: Type.Optional(SurveyScores),
});
export type PreviousCall = Static<typeof PreviousCall>;

export const CallerHistory = Type.Object({
  days: Type.Integer({ description: 'The window looked at, in days (30)' }),
  count: Type.Integer({ description: 'Previous calls from this number in the window' }),
  repeat: Type.Boolean({ description: 'A repeat caller: at least one previous call in the window' }),
  calls: Type.Array(PreviousCall, {
    maxItems: 20,
    description: 'The most recent previous calls, newest first',
  }),
  survey: Type.Optional(
    Type.Object({
      answered: Type.Integer({ description: 'How many of those calls have ratings' }),
      average: Type.Number({ description: 'Mean of all ratings given, 1-5' }),
    }),
  ),
});
export type CallerHistory = Static<typeof CallerHistory>;

/** What the call flow knows when it offers a call; the hub adds history, links and labels. */
export const OfferCore = Type.Object({
  callId: CallId,
  caller: Type.String({ maxLength: 32, description: 'Caller number, in full (agents see it; logs mask it)' }),
  dialled: Type.String({
    maxLength: 64,
    description: 'The number the caller dialled, as the carrier sent it',
  }),
  line: Type.String({ description: 'Service line number, e.g. 12333' }),
  lineName: Type.String({ description: 'Service line name in Chinese' }),
  mergeMode: Type.String({ description: 'hub, merged, dual or subcenter' }),
  mergeModeLabel: Type.String({ description: 'The merge mode in Chinese' }),
  ivrPath: Type.Array(Type.String(), { description: 'The IVR path in plain Chinese, in order' }),
  priority: PriorityClassSchema,
  waitS: Type.Number({ description: 'Seconds the caller has waited in the queue' }),
});

const OfferExtra = {
  priorityReason: Type.Optional(
    Type.String({ description: 'Why the class: care-list, declared-care, enterprise, zero, ...' }),
  ),
  ringTimeoutS: Type.Optional(Type.Integer({ description: 'How long the phone rings before re-offer' })),
  referral: Type.Optional(
    Type.Object(
      {
        from: Type.String({ description: 'The line that transferred the call in: 110, 119, 120 or 122' }),
        fromLabel: Type.String({ description: 'That line in Chinese' }),
        caseId: Type.Optional(Type.String({ description: "The line's case number" })),
        note: Type.Optional(Type.String({ description: "What the line's operator wrote for 12345" })),
      },
      { description: 'Transferred in by an emergency line (国办发〔2022〕12号), with its context' },
    ),
  ),
};

const OfferContext = {
  priorityLabel: Type.String({ description: 'Class and reason in Chinese, e.g. 关爱：关爱名单' }),
  skill: Type.Optional(Type.String()),
  history: CallerHistory,
  links: Type.Array(Link, { description: 'Policy pages configured for this line, skill and IVR nodes' }),
  care: Type.Optional(
    Type.Object(
      {
        kind: Type.String({ description: 'elderly, disabled or other' }),
        kindLabel: Type.String({ description: 'The kind in Chinese' }),
        note: Type.Optional(Type.String({ description: "The care list's note on the caller" })),
      },
      { description: 'The caller is on the care list: what the operators registered' },
    ),
  ),
};

function msg<T extends string, P extends Record<string, TSchema>>(type: T, props: P, description: string) {
  return Type.Object({ type: Type.Literal(type), ...Common, ...props }, { description });
}

export const ServerSchemas = {
  hello: msg(
    'hello',
    {
      agentId: Type.String(),
      agentName: Type.Optional(Type.String()),
      instance: Type.Optional(Type.String({ description: 'The router instance this socket is on' })),
      lastSeq: Type.Optional(
        Type.Integer({ minimum: 0, description: "The agent's latest sequence number at login" }),
      ),
      resumed: Type.Optional(Type.Integer({ description: 'Messages replayed after this hello' })),
      gap: Type.Optional(
        Type.Boolean({ description: 'Some missed messages had expired: rely on the state below' }),
      ),
      state: Type.Optional(Type.String({ description: "The agent's ACD state now" })),
      reason: Type.Optional(Type.String()),
      callId: Type.Optional(Type.String()),
      heartbeatMs: Type.Optional(Type.Integer({ description: 'Send ping at least this often' })),
      softphone: Type.Optional(
        Type.Union([Type.Literal('registered'), Type.Literal('unregistered')], {
          description: "Whether the agent's SIP softphone holds a registration (absent without the SIP edge)",
        }),
      ),
    },
    'Login accepted (or, with ?token=, sent on connect). Replayed messages follow, then live ones.',
  ),
  offer: msg(
    'offer',
    { ...OfferCore.properties, ...OfferExtra, ...OfferContext },
    "A call rings on the agent's phone: the screen-pop.",
  ),
  answered: msg('answered', { callId: CallId }, 'The agent picked up; the call is connected.'),
  ended: msg(
    'ended',
    {
      callId: CallId,
      outcome: Type.String({ description: 'answered, abandoned, missed (rang without answer), ...' }),
    },
    'The call is over for this agent.',
  ),
  wrapup_started: msg(
    'wrapup_started',
    {
      callId: CallId,
      durationS: Type.Number({ description: 'After-call work time' }),
      endsAt: Type.Integer({ description: 'When it ends by itself, epoch ms' }),
    },
    'After-call work (话后整理) began.',
  ),
  wrapup_ended: msg(
    'wrapup_ended',
    {
      callId: Type.Optional(CallId),
      by: Type.Union([
        Type.Literal('timer'),
        Type.Literal('agent'),
        Type.Literal('supervisor'),
        Type.Literal('system'),
      ]),
    },
    'After-call work is over.',
  ),
  state: msg(
    'state',
    {
      state: Type.String({
        description: 'logged_out, ready, reserved, ringing, talking, wrapup, not_ready',
      }),
      reason: Type.Optional(Type.String({ description: 'For not_ready: break, meal, training, ...' })),
      callId: Type.Optional(Type.String()),
    },
    "The agent's state changed.",
  ),
  tidal: msg(
    'tidal',
    {
      effectiveAt: Type.Integer({ description: 'When the move happens, epoch ms' }),
      time: Type.String({ pattern: '^\\d{2}:\\d{2}$', description: 'Local time of the move, HH:MM' }),
      toPool: Type.String({ description: 'front (一线接听) or back (二线/工单)' }),
      fromPool: Type.Optional(Type.String()),
      text: Type.String({ description: 'The notice in Chinese' }),
    },
    'Tidal staffing (潮汐排班): the agent moves between back office and front line.',
  ),
  softphone: msg(
    'softphone',
    { registered: Type.Boolean() },
    "The agent's SIP softphone registered or lost its registration: without one it is not offered calls.",
  ),
  supervisor: msg(
    'supervisor',
    {
      from: Type.String(),
      text: Type.String({ maxLength: 500 }),
      level: Type.Optional(Type.Union([Type.Literal('info'), Type.Literal('urgent')])),
    },
    'A message from a supervisor (班长).',
  ),
  result: msg(
    'result',
    {
      ref: Ref,
      command: Type.String(),
      ok: Type.Boolean(),
      message: Type.Optional(Type.String()),
    },
    "The outcome of a desktop's command (ready, not_ready, wrapup_end, transfer, logout).",
  ),
  error: msg(
    'error',
    {
      error: Type.String({ description: 'What was wrong, for people' }),
      code: Type.Optional(
        Type.String({ description: 'bad_message, unauthorized, version, busy, not_in_call, internal' }),
      ),
      ref: Ref,
    },
    'A message from the desktop was refused. The socket stays open unless code is unauthorized.',
  ),
  pong: msg('pong', { t: Type.Optional(Type.Number()) }, 'Answer to ping.'),
};

export const ServerMessageSchema = Type.Union(Object.values(ServerSchemas), {
  $id: 'hotline.screenpop.ServerMessage',
  description: 'Router to desktop',
});
export type ServerMessage = Static<typeof ServerMessageSchema>;
export type ServerMessageType = ServerMessage['type'];

const TransferTarget = Type.Union([
  Type.Object(
    { kind: Type.Literal('subcenter'), line: Type.String({ pattern: '^\\d{3,8}$' }) },
    { additionalProperties: false, description: "A sub-center line's own center (设分中心)" },
  ),
  Type.Object(
    { kind: Type.Literal('queue'), skill: Type.String({ pattern: '^[a-z][a-z0-9_-]{0,31}$' }) },
    { additionalProperties: false, description: "Another skill's queue" },
  ),
  Type.Object(
    { kind: Type.Literal('agent'), agentId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' }) },
    { additionalProperties: false, description: 'One named agent' },
  ),
  Type.Object(
    {
      kind: Type.Literal('emergency'),
      service: Type.Union([
        Type.Literal('110'),
        Type.Literal('119'),
        Type.Literal('120'),
        Type.Literal('122'),
      ]),
      threeWay: Type.Optional(
        Type.Boolean({
          description:
            'true: a three-way call of citizen, agent and the line (the agent stays until leaving with kind "leave"); default a blind transfer',
        }),
      ),
    },
    {
      additionalProperties: false,
      description: 'One key to the police or an emergency line (国办发〔2022〕12号)',
    },
  ),
  Type.Object(
    { kind: Type.Literal('leave') },
    {
      additionalProperties: false,
      description:
        'Leave the three-way call: the agent drops out, the citizen stays with the emergency line (the transfer completes)',
    },
  ),
]);
export type TransferTarget = Static<typeof TransferTarget>;

const V = { v: Type.Optional(Type.Integer({ minimum: 1 })) };
function cmsg<T extends string, P extends Record<string, TSchema>>(type: T, props: P, description: string) {
  return Type.Object(
    { type: Type.Literal(type), ...V, ...props },
    { additionalProperties: false, description },
  );
}

export const ClientSchemas = {
  login: cmsg(
    'login',
    {
      token: Type.Optional(
        Type.String({ minLength: 10, maxLength: 512, description: 'Needed unless given as ?token=' }),
      ),
      lastSeq: Type.Optional(
        Type.Integer({ minimum: 0, description: 'Last sequence number seen; omit on a fresh start' }),
      ),
    },
    'Log in (first message when the socket was opened without ?token=) and/or resume.',
  ),
  ready: cmsg('ready', { ref: Ref }, 'Ready for calls (also ends wrap-up).'),
  not_ready: cmsg(
    'not_ready',
    {
      reason: Type.Optional(Type.String({ minLength: 1, maxLength: 40, description: 'break, meal, ...' })),
      ref: Ref,
    },
    'Not ready, with a reason.',
  ),
  wrapup_end: cmsg('wrapup_end', { ref: Ref }, 'End after-call work now and become ready.'),
  transfer: cmsg(
    'transfer',
    { callId: CallId, target: TransferTarget, ref: Ref },
    'Ask to transfer the current call.',
  ),
  ack: cmsg(
    'ack',
    { seq: Type.Integer({ minimum: 1, description: 'Everything up to this seq was handled' }) },
    'Acknowledges messages up to seq.',
  ),
  ping: cmsg('ping', { t: Type.Optional(Type.Number()) }, 'Heartbeat; answered with pong.'),
  logout: cmsg('logout', { ref: Ref }, 'Log out (when not on a call) and close.'),
};

export const ClientMessageSchema = Type.Union(Object.values(ClientSchemas), {
  $id: 'hotline.screenpop.ClientMessage',
  description: 'Desktop to router',
});
export type ClientMessage = Static<typeof ClientMessageSchema>;
export type ClientMessageType = ClientMessage['type'];

export type CallContext = Static<typeof OfferCore>;

export const OfferExtraSchema = Type.Object(OfferExtra);
export const OfferContextSchema = Type.Object(OfferContext);
type DistOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** An offer as the call flow sends it: the core context; the hub fills in history, links, labels. */
export type OfferInput = CallContext & { type: 'offer' } & Partial<Static<typeof OfferExtraSchema>> &
  Partial<Static<typeof OfferContextSchema>>;

/** What senders pass to ScreenPopHub.send: v, at and seq are added by the hub; offer context too. */
export type Outgoing = OfferInput | DistOmit<Exclude<ServerMessage, { type: 'offer' }>, 'v' | 'at' | 'seq'>;

/** The messages that get a sequence number and are kept for resume. */
export const SEQUENCED: ReadonlySet<string> = new Set([
  'offer',
  'answered',
  'ended',
  'wrapup_started',
  'wrapup_ended',
  'state',
  'tidal',
  'supervisor',
]);

const clientCheckers = Object.fromEntries(
  Object.entries(ClientSchemas).map(([k, s]) => [k, TypeCompiler.Compile(s)]),
) as {
  [K in keyof typeof ClientSchemas]: ReturnType<typeof TypeCompiler.Compile<(typeof ClientSchemas)[K]>>;
};
const serverChecker = TypeCompiler.Compile(ServerMessageSchema);

/** Parses and validates one client frame: the message, or a sentence saying what is wrong with it. */
export function parseClientMessage(text: string): ClientMessage | string {
  if (text.length > 8192) return 'message is longer than 8192 characters';
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return 'message is not JSON';
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 'message must be a JSON object';
  const t = (v as { type?: unknown }).type;
  if (typeof t !== 'string' || !Object.hasOwn(clientCheckers, t)) {
    return `unknown message type ${JSON.stringify(t)}`;
  }
  const checker = clientCheckers[t as ClientMessageType];
  if (checker.Check(v)) return v as ClientMessage;
  const first = checker.Errors(v).First();
  const where = first?.path ? `${t}${first.path.replace(/\//g, '.')}` : t;
  return `${where}: ${first?.message ?? 'invalid'}`;
}

/** Checks a server message against the schema (the hub checks in tests; the page always). */
export function checkServerMessage(m: unknown): string | null {
  if (serverChecker.Check(m)) return null;
  const t = (m as { type?: unknown } | null)?.type;
  const s = typeof t === 'string' && t in ServerSchemas ? ServerSchemas[t as ServerMessageType] : null;
  if (!s) return `unknown message type ${JSON.stringify(t)}`;
  const first = TypeCompiler.Compile(s).Errors(m).First();
  return `${t}${first?.path.replace(/\//g, '.') ?? ''}: ${first?.message ?? 'invalid'}`;
}

/** The schema document published at GET /agent/protocol.json. */
export function protocolDocument(): {
  version: number;
  sequenced: string[];
  server: Record<string, unknown>;
  client: Record<string, unknown>;
} {
  return {
    version: PROTOCOL_VERSION,
    sequenced: [...SEQUENCED],
    server: JSON.parse(JSON.stringify(ServerSchemas)) as Record<string, unknown>,
    client: JSON.parse(JSON.stringify(ClientSchemas)) as Record<string, unknown>,
  };
}
