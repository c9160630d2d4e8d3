import {strict as assert} from 'node:assert'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'

const SRC = fileURLToPath(new URL('../../src/', import.meta.url))

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sources(path) : name.endsWith('.ts') ? [path] : []
  })
}

/** Every import (static, type-only and dynamic) of a file, as written. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(/(?:from\s+|import\s*\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1])
}

/** The folder of src a relative import lands in. */
function roomOf(file: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined
  const target = relative(SRC, join(file, '..', spec))
  return target.includes('/') ? target.split('/')[0] : target.replace(/\.js$/, '')
}

/**
 * The layers of src, lowest first (docs/design.md): a file may import its
 * own layer or lower ones, never a higher one.
 */
const LAYERS: string[][] = [
  ['errors', 'pki'],
  ['kube', 'registry', 'flags', 'dataplane'],
  ['render', 'ui', 'health'],
  ['store'],
  ['gateway'],
  ['base-command', 'completion', 'fastpath'],
  ['commands', 'run'],
]
const layerOf = (room: string) => LAYERS.findIndex((layer) => layer.includes(room))

describe('the shape of src (design notes, enforced)', () => {
  const files = sources(SRC)

  it('only src/kube imports @kubernetes/client-node, types included', () => {
    const offenders = files.filter((f) => !relative(SRC, f).startsWith('kube/') && importsOf(f).some((s) => s.startsWith('@kubernetes/client-node')))
    assert.deepEqual(offenders.map((f) => relative(SRC, f)), [])
  })

  it('no file imports a layer above its own', () => {
    const upward: string[] = []
    for (const file of files) {
      const own = relative(SRC, file).split('/')[0].replace(/\.ts$/, '')
      for (const spec of importsOf(file)) {
        const room = roomOf(file, spec)
        if (!room || room === own) continue
        assert.notEqual(layerOf(room), -1, `${relative(SRC, file)} imports ${spec}: put src/${room} in a layer`)
        if (layerOf(room) > layerOf(own)) upward.push(`${relative(SRC, file)} → ${spec}`)
      }
    }
    assert.deepEqual(upward, [])
  })

  it('commands never talk to a cluster or render objects themselves', () => {
    const direct = files
      .filter((f) => relative(SRC, f).startsWith('commands/'))
      .filter((f) => importsOf(f).some((s) => /\/kube\//.test(s) || s === 'js-yaml'))
    assert.deepEqual(direct.map((f) => relative(SRC, f)), [])
  })
})
