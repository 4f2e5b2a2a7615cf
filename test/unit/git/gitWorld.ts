// Real git repositories in temp dirs for the git tests: a bare remote ("the team's forge") and clones of it
// (teammates). Git runs with a private HOME and no system or global config, so nothing of this machine's
// config (credential helpers, default branch, author) leaks in; each clone sets its own author.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface GitWorld {
  /** The bare remote. */
  remote: string;
  /** Environment every git call of the test (and of the code under test) runs with. */
  env: NodeJS.ProcessEnv;
  /** Runs git synchronously in `dir`, returns trimmed stdout. */
  git(dir: string, ...args: string[]): string;
  /** Clones the remote to `<base>/<name>` (or to an absolute path, which may be an empty folder) with its own author. */
  clone(name: string): string;
  /** Writes `files` in `dir`, commits them all with `message`, and answers the commit. */
  commitFiles(dir: string, files: Record<string, string>, message: string): string;
}

/** A bare remote with one commit on `main` holding `initial`, made below `base`. */
export function gitWorld(base: string, initial: Record<string, string> = { 'README.md': 'team collection\n' }): GitWorld {
  const home = path.join(base, 'git-home');
  fs.mkdirSync(home, { recursive: true });
  const globalConfig = path.join(home, 'gitconfig');
  fs.writeFileSync(globalConfig, '');
  const env: NodeJS.ProcessEnv = {
    ...process.env, HOME: home, XDG_CONFIG_HOME: home, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: globalConfig,
  };
  for (const k of Object.keys(env)) if (/^GIT_(DIR|WORK_TREE|INDEX_FILE|AUTHOR_|COMMITTER_)/.test(k)) delete env[k];
  const git = (dir: string, ...args: string[]): string =>
    execFileSync('git', args, { cwd: dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  const remote = path.join(base, 'remote.git');
  fs.mkdirSync(remote);
  git(remote, 'init', '--quiet', '--bare', '--initial-branch=main');
  const setAuthor = (dir: string, name: string): void => {
    git(dir, 'config', 'user.name', name);
    git(dir, 'config', 'user.email', `${name}@example.com`);
  };
  const commitFiles = (dir: string, files: Record<string, string>, message: string): string => {
    for (const [rel, content] of Object.entries(files)) {
      const p = path.join(dir, ...rel.split('/'));
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, content);
    }
    git(dir, 'add', '-A');
    git(dir, 'commit', '--quiet', '-m', message);
    return git(dir, 'rev-parse', 'HEAD');
  };
  const seed = path.join(base, 'seed');
  fs.mkdirSync(seed);
  git(seed, 'init', '--quiet', '--initial-branch=main');
  setAuthor(seed, 'seed');
  commitFiles(seed, initial, 'Initial collection');
  git(seed, 'remote', 'add', 'origin', remote);
  git(seed, 'push', '--quiet', '-u', 'origin', 'main');
  const clone = (name: string): string => {
    const dir = path.isAbsolute(name) ? name : path.join(base, name);
    git(base, 'clone', '--quiet', remote, dir);
    setAuthor(dir, name);
    return dir;
  };
  return { remote, env, git, clone, commitFiles };
}
