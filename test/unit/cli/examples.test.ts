import {strict as assert} from 'node:assert'
import {readFileSync} from 'node:fs'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {type Command, Parser} from '@oclif/core'

const ROOT = new URL('../../../', import.meta.url)
const manifest = JSON.parse(readFileSync(new URL('oclif.manifest.json', ROOT), 'utf8')) as {commands: Record<string, {examples?: string[]}>}

/** Words of a shell line up to its first pipe or redirection; quotes kept together. */
function words(line: string): string[] {
  const out: string[] = []
  for (const m of line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) {
    const word = m[1] ?? m[2] ?? m[3]
    if (m[3] && /^(\||>|<|&&|;)/.test(m[3])) break
    out.push(word)
  }
  return out
}

/**
 * Every example that `kubectl svcgw COMMAND --help` shows is a command line the command accepts:
 * parsed by oclif's own parser against the command's flags and arguments (custom parsers, options,
 * exclusive and dependsOn included), as the CLI would before running it. The examples that need
 * no cluster run for real in the docs capture (scripts/capture-docs.ts) and in cli tests.
 */
describe('the examples of every command parse against its flags', () => {
  for (const [id, command] of Object.entries(manifest.commands)) {
    for (const example of command.examples ?? []) {
      it(`${id}: ${example.replaceAll('<%= config.bin %>', 'kubectl svcgw')}`, async () => {
        // `source <(… completion bash)`: the command inside the process substitution.
        const all = words(example.replaceAll('<%= config.bin %>', 'BIN').replace(/<\((.*)\)/, '$1'))
        const start = all.indexOf('BIN')
        assert.notEqual(start, -1, 'an example runs the plugin')
        const argv = all.slice(start + 1)
        const path = id.split(':')
        assert.deepEqual(argv.slice(0, path.length), path, 'it names its own command')
        const source = new URL(`src/commands/${path.join('/')}.ts`, ROOT)
        const {default: Cmd} = (await import(pathToFileURL(fileURLToPath(source)).href)) as {default: Command.Class}
        const parsed = await Parser.parse(argv.slice(path.length), {
          flags: {...Cmd.baseFlags, ...Cmd.flags},
          args: Cmd.args ?? {},
          strict: Cmd.strict ?? true,
          context: undefined,
        })
        assert.ok(parsed.flags)
      })
    }
  }

  it('a wrong example would fail (the check can fail)', async () => {
    const {default: Cmd} = (await import('../../../src/commands/expose.js')) as {default: Command.Class}
    await assert.rejects(Parser.parse(['nginx', '--port', 'eighty'], {flags: {...Cmd.baseFlags, ...Cmd.flags}, args: Cmd.args ?? {}, strict: true, context: undefined}))
    await assert.rejects(Parser.parse(['nginx', '--prot', '80'], {flags: {...Cmd.baseFlags, ...Cmd.flags}, args: Cmd.args ?? {}, strict: true, context: undefined}))
  })
})
