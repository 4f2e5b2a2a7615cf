// Chooses and opens the state backend for a workspace: an explicit database (setting / --state-db /
// SKILLMEAT_SYNC_STATE_DB) or the product's per-workspace default.
import { AmbrogioStateSource } from './stateAmbrogio';
import type { AmbrogioReadOptions } from './stateAmbrogio';
import { OwnStateStore } from './stateStore';
import type { OwnStateStoreOptions } from './stateStore';
import { detectStateKind } from './state';
import { stateCodecFor } from './stateEncryption';
import type { StoreKeyProvider } from '../store/storeEncryption';
import type { StateKind, StateSource } from './state';

/** Which state database backs the generators and the `ambrogioctl` shim. */
export interface StateConfig {
  /** Absolute path of the database. */
  path: string;
  /** Omitted: detected (a WAL database is ambrogio's and is opened read-only). */
  kind?: StateKind;
}

/** Options of {@link openStateSource}. */
export type OpenStateOptions = OwnStateStoreOptions & AmbrogioReadOptions & {
  /** The product's own store follows the version store's encryption (`storeDir`), with keys from `keys`. */
  encryption?: { storeDir: string; keys?: StoreKeyProvider };
};

/** Opens the configured state database with the right backend. */
export async function openStateSource(config: StateConfig, opts: OpenStateOptions = {}): Promise<StateSource> {
  const kind = config.kind ?? detectStateKind(config.path);
  if (kind === 'ambrogio') return AmbrogioStateSource.open(config.path, opts);
  const codec = opts.codec ?? (opts.encryption ? await stateCodecFor(config.path, opts.encryption) : undefined);
  return OwnStateStore.open(config.path, { ...opts, codec });
}

/** Parses a kind named by a user (`--state-kind`, SKILLMEAT_SYNC_STATE_KIND); undefined when unknown. */
export function parseStateKind(value: string | undefined): StateKind | undefined {
  const v = (value ?? '').trim().toLowerCase();
  if (v === 'ambrogio') return 'ambrogio';
  if (v === 'own' || v === 'skillmeat') return 'own';
  return undefined;
}
