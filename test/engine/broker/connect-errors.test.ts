import { describe, expect, it } from 'vitest';
import { explainAmqpError, explainRedisError } from '../../../src/engine/broker/connect-errors.js';

const errno = (message: string, code: string): Error => Object.assign(new Error(message), { code });

describe('explainAmqpError: the cause and the fix, not amqplib', () => {
  it('a vhost RabbitMQ does not have (amqplib: "Expected ConnectionOpenOk; got <ConnectionClose channel:0>")', () => {
    const why = explainAmqpError('amqp://bob:pw@rabbit:5672/orders', new Error('Expected ConnectionOpenOk; got <ConnectionClose channel:0>'));
    expect(why).toBe(
      `RabbitMQ has no vhost "orders", or user "bob" may not use it: create it (rabbitmqctl add_vhost 'orders' && ` +
        `rabbitmqctl set_permissions -p 'orders' bob '.*' '.*' '.*') or fix the vhost in the URL (the path after the port; ` +
        'amqp://rabbit:5672// is the default vhost "/")',
    );
    expect(why).not.toContain('ConnectionOpenOk');
  });

  it('a wrong login, nothing listening, an unknown host', () => {
    const login = new Error('Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused"');
    expect(explainAmqpError('amqp://guest:x@h:5672//', login)).toBe(
      'RabbitMQ refused the login of user "guest": fix the user and password in the URL (amqp://USER:PASSWORD@h:5672/…)',
    );
    expect(explainAmqpError('amqp://h:1//', errno('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED'))).toBe(
      'nothing listens on h:1 (connection refused): start RabbitMQ, or fix the host and port in the URL',
    );
    expect(explainAmqpError('amqp://nosuch:5672//', errno('getaddrinfo ENOTFOUND nosuch', 'ENOTFOUND'))).toBe('unknown host nosuch: fix the host in the URL');
  });
});

describe('explainAmqpError: a queue or exchange that is not there is not a missing vhost', () => {
  it('--tap QUEUE that does not exist (amqplib: 404 NOT_FOUND, whose text names the vhost)', () => {
    const e = new Error('Operation failed: QueueDeclare; 404 (NOT-FOUND) with message "NOT_FOUND - no queue \'task-monitor\' in vhost \'orders\'"');
    const why = explainAmqpError('amqp://bob:pw@rabbit:5672/orders', e);
    expect(why).toBe(
      'RabbitMQ has no queue "task-monitor" in vhost "orders": fix the name, or declare it and route task messages to it (--tap-exchange makes a queue of clearly\'s own)',
    );
  });

  it('--tap-exchange NAME that does not exist', () => {
    const e = new Error('Operation failed: QueueBind; 404 (NOT-FOUND) with message "NOT_FOUND - no exchange \'tasks\' in vhost \'/\'"');
    expect(explainAmqpError('amqp://rabbit//', e)).toBe(`RabbitMQ has no exchange "tasks" in vhost "/": fix the name (rabbitmqctl -p '/' list_exchanges shows them)`);
  });
});

describe('explainRedisError', () => {
  it('a password missing, wrong, a database out of range, not Redis at all', () => {
    expect(explainRedisError('redis://r:6379/0', new Error('NOAUTH Authentication required.'))).toBe(
      'Redis at r:6379 needs a password: give it in the URL (redis://:PASSWORD@r:6379/0)',
    );
    expect(explainRedisError('redis://:x@r:6379/0', new Error('WRONGPASS invalid username-password pair or user is disabled.'))).toBe(
      'Redis at r:6379 refused the password: fix it in the URL (redis://:PASSWORD@r:6379/0)',
    );
    expect(explainRedisError('redis://r:6379/99', new Error('ERR DB index is out of range'))).toBe(
      'Redis at r:6379 has no such database (16 by default, 0 to 15): fix the number at the end of the URL',
    );
    expect(explainRedisError('redis://r:5672/0', new Error('Protocol error, got "A" as reply type byte. Please report this.'))).toMatch(
      /^r:5672 does not speak the Redis protocol \(.*\): is that Redis's port \(6379 by default\)\?$/,
    );
  });
});
