/**
 * Opens the store a `--store` names: the one file that knows both implementations. Each is loaded
 * only when used (better-sqlite3 is a native module; pg pulls in its own dependencies).
 */
import type { Store } from './store.js';
import type { StoreUrl } from './url.js';

/** null for `memory`. Rejects with StoreError (exit 73/65) or UnavailableError (exit 69). */
export async function openStore(url: StoreUrl): Promise<Store | null> {
  switch (url.kind) {
    case 'memory':
      return null;
    case 'sqlite': {
      const { SqliteStore } = await import('./sqlite.js');
      return SqliteStore.open(url.path);
    }
    case 'postgres': {
      const { PostgresStore } = await import('./postgres.js');
      return PostgresStore.open(url.url, url.masked);
    }
  }
}
