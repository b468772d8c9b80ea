/**
 * The machine a run was taken on: CPU, cores, memory, OS, and the versions of Node.js and of the
 * brokers (asked over their own protocols, so it works without admin tools).
 */
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os';
import { connect } from 'amqplib';
import { Redis } from 'ioredis';
import { BROKERS } from './brokers.js';

export interface Machine {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly rabbitmq: string | null;
  readonly redis: string | null;
  /** Load average when the run started: other people's work on the same cores shows here. */
  readonly loadavg: readonly number[];
}

async function rabbitmqVersion(url: string): Promise<string | null> {
  try {
    const conn = await connect(url);
    const props = conn.connection.serverProperties;
    await conn.close();
    return `${props.product ?? 'RabbitMQ'} ${props.version ?? '?'}`.replace(/^RabbitMQ RabbitMQ/, 'RabbitMQ');
  } catch {
    return null;
  }
}

/** The `redis_version:` line of INFO server. */
export function redisVersionFromInfo(info: string): string | null {
  return /^redis_version:(\S+)/m.exec(info)?.[1] ?? null;
}

async function redisVersion(url: string): Promise<string | null> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return redisVersionFromInfo(await redis.info('server'));
  } catch {
    return null;
  } finally {
    redis.disconnect();
  }
}

export async function describeMachine(): Promise<Machine> {
  const cpu = cpus();
  const [rabbitmq, redis] = await Promise.all([rabbitmqVersion(BROKERS.amqp), redisVersion(BROKERS.redis)]);
  return {
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${osType()} ${release()}`,
    node: process.version,
    rabbitmq,
    redis: redis === null ? null : `Redis ${redis}`,
    loadavg: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
