import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

/** Runs the real openssl on the given files (written to a scratch directory); throws on a non-zero exit. */
export function openssl(args: string[], files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'svcgw-openssl-'))
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content)
    return execFileSync('openssl', args, {cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}
