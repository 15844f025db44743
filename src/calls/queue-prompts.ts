// What callers in queue hear: position, expected wait, and the offer of a callback that keeps their
// place (virtual hold). Prompt files are assembled with FreeSWITCH's file_string://, numbers from
// digit recordings; the Chinese text goes beside them.
import type { Prompt } from '../ivr/types.ts';

function numberFiles(n: number): string[] {
  return String(Math.max(0, Math.round(n)))
    .split('')
    .map((d) => `ivr/digits/${d}.wav`);
}

export function positionPrompt(ahead: number, ewtS: number, offerCallback: boolean): Prompt {
  const minutes = Math.max(1, Math.ceil(ewtS / 60));
  const files = [
    'ivr/queue/ahead.wav',
    ...numberFiles(ahead),
    'ivr/queue/callers-wait.wav',
    ...numberFiles(minutes),
    'ivr/queue/minutes.wav',
  ];
  let text = `您前面还有${ahead}位来电，预计等待约${minutes}分钟。`;
  if (offerCallback) {
    files.push('ivr/queue/callback-offer.wav');
    text += '如需坐席空闲时为您回电并保留排队位置，请按1；继续等待请不要挂机。';
  }
  return { file: `file_string://${files.join('!')}`, text };
}

export const CALLBACK_CONFIRMED: Prompt = {
  file: 'ivr/queue/callback-confirmed.wav',
  text: '已为您登记回电，您的排队位置将保留，坐席空闲时会立即回电，请保持电话畅通。再见。',
};

export const LONG_WAIT_CALLBACK: Prompt = {
  file: 'ivr/queue/long-wait-callback.wav',
  text: '当前等待时间较长，我们已为您登记回电，坐席空闲时会立即回电。再见。',
};

export const LEAVE_MESSAGE: Prompt = {
  file: 'ivr/queue/leave-message.wav',
  text: '当前坐席繁忙，请在提示音后留言，我们将尽快处理。',
};
