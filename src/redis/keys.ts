// Every Redis key the router uses, in one place, under a configurable prefix so that tests and
// several hotlines can share one server.
export class Keys {
  constructor(readonly prefix: string) {}
  lines = () => `${this.prefix}lines`;
  agents = () => `${this.prefix}agents`;
  agent = (id: string) => `${this.prefix}agent:${id}`;
  /** Ready agents, scored by the time they became idle. */
  /** Waiting calls of one skill and priority class, scored by the time they were queued. */
  queue = (skill: string, cls: string) => `${this.prefix}queue:${skill}:${cls}`;
  queueConfigs = () => `${this.prefix}queues`;
  acdSettings = () => `${this.prefix}acd-settings`;
  callByUuid = (uuid: string) => `${this.prefix}calluuid:${uuid}`;
  /** Which instance took a parked caller (every instance sees its CHANNEL_PARK). */
  parkClaim = (uuid: string) => `${this.prefix}parkclaim:${uuid}`;
  stats = (day: string) => `${this.prefix}stats:${day}`;
  call = (id: string) => `${this.prefix}call:${id}`;
  /** The ACD's change stream (every script's changes to waiting calls and ready agents) and its sequence. */
  acdChanges = () => `${this.prefix}acd:stream`;
  instanceAlive = (id: string) => `${this.prefix}alive:${id}`;
  record = (id: string) => `${this.prefix}record:${id}`;
  recordsByDay = (day: string) => `${this.prefix}records:${day}`;
  counters = (day: string) => `${this.prefix}counters:${day}`;
  ivrSeq = (line: string) => `${this.prefix}ivr:${line}:seq`;
  ivrVersion = (line: string, v: number) => `${this.prefix}ivr:${line}:v:${v}`;
  ivrCurrent = (line: string) => `${this.prefix}ivr:${line}:current`;
  ivrAudit = () => `${this.prefix}ivr:audit`;
  ivrStats = (line: string, day: string) => `${this.prefix}ivrstats:${line}:${day}`;
  /** Supervisors' forced agent states, newest first. */
  agentStateAudit = () => `${this.prefix}audit:agent-state`;
  incidents = () => `${this.prefix}incidents`;
  incidentAcks = () => `${this.prefix}incident-acks`;
  careList = () => `${this.prefix}carelist`;
  instanceChannel = (id: string) => `${this.prefix}inst:${id}`;
  screenPopChannel = () => `${this.prefix}screenpop`;
  dispatchChannel = () => `${this.prefix}dispatch`;
  /** Accounts (src/accounts): users, their sessions, automation tokens, the change audit. */
  user = (name: string) => `${this.prefix}user:${name}`;
  users = () => `${this.prefix}users`;
  session = (id: string) => `${this.prefix}session:${id}`;
  userSessions = (name: string) => `${this.prefix}user-sessions:${name}`;
  apiToken = (id: string) => `${this.prefix}apitoken:${id}`;
  apiTokens = () => `${this.prefix}apitokens`;
  loginFailures = (name: string) => `${this.prefix}login-failures:${name}`;
  sharedTokenRevoked = () => `${this.prefix}shared-token-revoked`;
  changeAudit = () => `${this.prefix}audit:changes`;
}
