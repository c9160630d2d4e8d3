import {strict as assert} from 'node:assert'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, readdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {BIN} from './run-cli.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const LOAD_LOG = fileURLToPath(new URL('../../support/load-log.mjs', import.meta.url))
/** What help and version must never load: the three heavy libraries (docs/design.md, start-up). */
const HEAVY = ['@kubernetes/client-node', 'node-forge', 'js-yaml']

/**
 * The packages whose code a set of loaded files holds. A bundled file names each module it
 * carries in a `// node_modules/…` comment (esbuild, unminified); a file from node_modules
 * is that package. A bundled file counts whole: holding the code is loading it here.
 */
function packagesIn(files: string[]): Set<string> {
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
function loadedBy(args: string[]): {files: string[]; status: number | null; stdout: string} {
  const log = join(mkdtempSync(join(tmpdir(), 'svcgw-load-')), 'log')
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(LOAD_LOG).href, ...args], {
    encoding: 'utf8',
    env: {...process.env, SVCGW_LOAD_LOG: log, NO_COLOR: '1'},
    timeout: 60_000,
  })
  let lines: string[] = []
  try {
    lines = readFileSync(log, 'utf8').trim().split('\n')
  } catch {
    // nothing loaded past the hook: an empty list
  }
  const files = lines.filter((l) => l.startsWith('file:') || l.startsWith('/')).map((l) => (l.startsWith('file:') ? fileURLToPath(l) : l))
  return {files, status: r.status, stdout: r.stdout}
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, {hasDynamicHelp?: boolean}>}
const commandIds = Object.keys(manifest.commands)

describe('start-up: help and version never load the heavy libraries (built CLI, load log)', function () {
  this.timeout(120_000)

  const cases = [['--help'], ['version'], ...commandIds.map((id) => [...id.split(':'), '--help'])]
  for (const argv of cases) {
    it(`kubectl svcgw ${argv.join(' ')}`, () => {
      const {files, status, stdout} = loadedBy([BIN, ...argv])
      assert.equal(status, 0)
      assert.ok(stdout.length > 0)
      const heavy = HEAVY.filter((p) => packagesIn(files).has(p))
      assert.deepEqual(heavy, [], `loaded ${heavy.join(', ')}`)
      // Everything comes from the bundle: nothing from node_modules (an install has none).
      assert.deepEqual(files.filter((f) => f.includes('/node_modules/')), [])
    })
  }

  it('help needs no code: no flag has a defaultHelp or default function (oclif would load the command to render it)', () => {
    assert.deepEqual(commandIds.filter((id) => manifest.commands[id].hasDynamicHelp), [])
  })

  it('the load log sees the heavy libraries when a command does load them (the check can fail)', () => {
    const {files} = loadedBy([BIN, 'server', 'install', '--dry-run', '--offline', '-o', 'yaml'])
    assert.deepEqual(HEAVY.filter((p) => !packagesIn(files).has(p)), [])
  })

  it('importing any command module loads none of them (top-level imports stay light)', () => {
    const modules = readdirSync(join(ROOT, 'dist', 'commands'), {recursive: true, encoding: 'utf8'}).filter((f) => f.endsWith('.js'))
    assert.ok(modules.length >= commandIds.length)
    for (const module of modules) {
      const url = pathToFileURL(join(ROOT, 'dist', 'commands', module)).href
      const {files, status} = loadedBy(['--input-type=module', '-e', `await import(${JSON.stringify(url)})`])
      assert.equal(status, 0, module)
      assert.deepEqual(HEAVY.filter((p) => packagesIn(files).has(p)), [], `dist/commands/${module}`)
    }
  })
})
