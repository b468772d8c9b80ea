/**
 * Roles and what each gRPC method of clearly.v1 needs. Exhaustive over the service's methods: a
 * new RPC does not compile until someone says whether reading is enough.
 */

export const ROLES = ['read', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export type MethodName = 'Capture' | 'FilterTasks' | 'GetTask' | 'FilterWorkers' | 'SeenTasks' | 'GetStats' | 'Reset';

/** `read` captures, queries and gets stats; whatever changes the server needs `admin`. */
export const REQUIRED_ROLE: Readonly<Record<MethodName, Role>> = {
  Capture: 'read',
  FilterTasks: 'read',
  GetTask: 'read',
  FilterWorkers: 'read',
  SeenTasks: 'read',
  GetStats: 'read',
  Reset: 'admin',
};

export function roleAllows(role: Role, needed: Role): boolean {
  return role === 'admin' || needed === 'read';
}
