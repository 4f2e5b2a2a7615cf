// Chooses and opens the state backend for a workspace: an explicit database (setting / --state-db /
// SKILLMEAT_SYNC_STATE_DB) or the product's per-workspace default.
import { AmbrogioStateSource } from './stateAmbrogio';
import type { AmbrogioReadOptions } from './stateAmbrogio';
import { OwnStateStore } from './stateStore';
import type { OwnStateStoreOptions } from './stateStore';
import { detectStateKind } from './state';
import type { StateKind, StateSource } from './state';

/** Which state database backs the generators and the `ambrogioctl` shim. */
export interface StateConfig {
  /** Absolute path of the database. */
  path: string;
  /** Omitted: detected (a WAL database is ambrogio's and is opened read-only). */
  kind?: StateKind;
}

/** Options of {@link openStateSource}. */
export type OpenStateOptions = OwnStateStoreOptions & AmbrogioReadOptions;

/** Opens the configured state database with the right backend. */
export async function openStateSource(config: StateConfig, opts: OpenStateOptions = {}): Promise<StateSource> {
  const kind = config.kind ?? detectStateKind(config.path);
  return kind === 'ambrogio' ? AmbrogioStateSource.open(config.path, opts) : OwnStateStore.open(config.path, opts);
}

/** Parses a kind named by a user (`--state-kind`, SKILLMEAT_SYNC_STATE_KIND); undefined when unknown. */
export function parseStateKind(value: string | undefined): StateKind | undefined {
  const v = (value ?? '').trim().toLowerCase();
  if (v === 'ambrogio') return 'ambrogio';
  if (v === 'own' || v === 'skillmeat') return 'own';
  return undefined;
}
