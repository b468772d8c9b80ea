import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../../src/engine/events/decode.js';
import type { RawMessage } from '../../../src/engine/events/types.js';
import { startSimulatedCluster } from '../../../src/engine/simulate/cluster.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function run(rate: number): { raws: RawMessage[]; cluster: ReturnType<typeof startSimulatedCluster> } {
  const raws: RawMessage[] = [];
  const cluster = startSimulatedCluster({ rate, seed: 11, workers: 3, host: 'test', message: (raw) => raws.push(raw) });
  return { raws, cluster };
}

describe('simulated cluster (clearly demo)', () => {
  it('hands over raw AMQP messages clearly decodes without an error, paced at the rate', async () => {
    const { raws, cluster } = run(200);
    await sleep(500);
    const during = cluster.events();
    cluster.stop();
    // 200 events/s for half a second, with the bucket's small burst: about 100, certainly not thousands.
    expect(during).toBeGreaterThan(40);
    expect(during).toBeLessThan(200);
    let events = 0;
    for (const raw of raws) {
      expect(raw.transport).toBe('amqp');
      const { events: e, errors } = decodeMessage(raw);
      expect(errors).toEqual([]);
      events += e.length;
    }
    expect(events).toBe(cluster.events());
  });

  it('on stop sends every worker offline, and then nothing more', async () => {
    const { raws, cluster } = run(1000);
    await sleep(100);
    cluster.stop();
    const types = raws.flatMap((raw) => decodeMessage(raw).events.map((e) => `${e.type}${'hostname' in e ? ' ' + e.hostname : ''}`));
    expect(types.filter((t) => t.startsWith('worker-online')).sort()).toEqual(['worker-online w1@test', 'worker-online w2@test', 'worker-online w3@test']);
    // Each worker's last word is its worker-offline (a worker may flush its last task events
    // before going offline, while another already has).
    for (const w of ['w1@test', 'w2@test', 'w3@test']) expect(types.filter((t) => t.endsWith(` ${w}`)).at(-1)).toBe(`worker-offline ${w}`);
    const after = raws.length;
    await sleep(100);
    expect(raws.length).toBe(after);
  });
});
