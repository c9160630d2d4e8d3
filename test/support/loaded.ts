import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const LOAD_LOG = fileURLToPath(new URL('./load-log.mjs', import.meta.url))
/** What help and version must never load: the three heavy libraries (docs/design.md, start-up). */
export const HEAVY = ['@kubernetes/client-node', 'node-forge', 'js-yaml']

/**
 * The packages whose code a set of loaded files holds. A bundled file names each module it
 * carries in a `// node_modules/…` comment (esbuild, unminified); a file from node_modules
 * is that package. A bundled file counts whole: holding the code is loading it here.
 */
export function packagesIn(files: string[]): Set<string> {
  const found = new Set<string>()
  for (const file of files) {
    const own = file.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//)
    if (own) found.add(own[1])
    else if (file.startsWith(join(ROOT, 'dist'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/^\/\/ node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)) found.add(m[1])
    }
  }
  return found
}

/** Runs node with the load log; returns the files it loaded (paths) and its result. */
export function loadedBy(args: string[], env: NodeJS.ProcessEnv = {}): {files: string[]; status: number | null; stdout: string; stderr: string} {
  const log = join(mkdtempSync(join(tmpdir(), 'svcgw-load-')), 'log')
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(LOAD_LOG).href, ...args], {
    encoding: 'utf8',
    env: {...process.env, ...env, SVCGW_LOAD_LOG: log, NO_COLOR: '1'},
    timeout: 60_000,
  })
  let lines: string[] = []
  try {
    lines = readFileSync(log, 'utf8').trim().split('\n')
  } catch {
    // nothing loaded past the hook: an empty list
  }
  const files = lines.filter((l) => l.startsWith('file:') || l.startsWith('/')).map((l) => (l.startsWith('file:') ? fileURLToPath(l) : l))
  return {files, status: r.status, stdout: r.stdout, stderr: r.stderr}
}

