// Public script and dialplan shapes shared by the call model and the public API.
export interface DialplanCall {
  destination: string;
  callerIdNumber: string;
  callerIdName: string;
  context: string;
  variables: Record<string, string>;
}
export interface DialplanAction {
  app: string;
  data: string;
}
/**
 * The dialplan hunt: the actions for `call.destination` in `call.context`. It runs when a call arrives and again
 * on every `transfer` (with the destination and context the transfer names and the channel's variables as they are
 * then, e.g. what uuid_setvar set meanwhile). Variables it writes into `call.variables` are set on the channel.
 */
export type Dialplan = (call: DialplanCall) => DialplanAction[];

export interface CallerScript {
  destination: string;
  callerIdNumber: string;
  callerIdName?: string;
  context?: string;
  profile?: string;
  sipHeaders?: Record<string, string>;
  dtmf?: Array<{ afterAnswerMs: number; digits: string }>;
  patienceMs?: number;
  hangupAfterBridgeMs?: number;
  hangupAfterAnswerMs?: number;
  /** Where the INVITE came from (a SIP-originated call, drachtio/freeswitch-sip.ts); random when absent. */
  peer?: { ip: string; port: number };
}

export interface AgentEndpointScript {
  behaviour?: 'answer' | 'no-answer' | 'busy' | 'reject' | 'unregistered';
  /** The directory domain the phone registers in (user/<ext>@<domain> reaches it); default the agents' domain. */
  domain?: string;
  answerAfterMs?: number;
  talkMs?: number;
  /**
   * The phone hangs up this long after its own answer, put through or not (a phone that drops as it answers): as a
   * sipp phone counting its talk from its 200 OK. talkMs counts from the bridge. 0 is before anything the router
   * sends after the answer can arrive (the originate's result is out first): always gone before the join. A
   * timer of 0 ms was not: on a loaded machine the router's uuid_bridge sometimes came in first, the join
   * completed and the leg hung up a millisecond later, a 1 ms conversation (seen once in 60 calls).
   */
  hangupAfterAnswerMs?: number;
}

export interface CallSummary {
  uuid: string;
  destination: string;
  callerIdNumber: string;
  answered: boolean;
  bridgedTo?: string;
  hangupCause: string;
  hangupBy: 'caller' | 'switch' | 'agent' | 'router';
  durationMs: number;
}

export interface EmulatedCall {
  uuid: string;
  ended: Promise<CallSummary>;
  sendDtmf(digits: string): void;
  hangup(cause?: string): void;
}
