import { it } from 'vitest';
import { placeCall, startPhones } from './sip.ts';
import { startRealStack } from './stack.ts';

it('latency probe', async () => {
  const s = await startRealStack({ TEST_LOG_LEVEL: 'debug' });
  await s.admin('/admin/ivr/12345/publish', {
    method: 'POST',
    body: {
      operator: 't',
      doc: { line: '12345', mode: 'direct', human: { skill: 'general', label: 'x' }, nodes: {} },
    },
  });
  const phones = await startPhones(s.fs, ['1003'], { behaviour: 'answer', ringMs: 100, talkMs: 300 });
  await s.addAgent('a1', '1003', { general: 1 });
  for (let i = 0; i < 4; i++) {
    const c = await placeCall(s.fs, {
      dialled: '12345',
      callerId: `1390000900${i}`,
      steps: [{ wait: 1500 }, { hangup: true }],
    });
    await c.done;
    await new Promise((r) => setTimeout(r, 500));
  }
  const log = s.fs.log().split('\n');
  for (const l of log)
    if (
      /EXECUTE \[depth=0\].*socket\(|New Channel sofia\/hotline_agents|sofia\/hotline_agents.*Callstate Change DOWN -> RINGING|bgapi|api.c|originate/i.test(
        l,
      )
    )
      console.log(l.slice(0, 200));
  phones.stop();
  await s.stop();
}, 120_000);
