import {strict as assert} from 'node:assert'
import {readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {BIN} from './run-cli.js'
import {HEAVY, loadedBy, packagesIn} from '../../support/loaded.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
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
