import {readFileSync} from 'node:fs'

/** The parts of oclif.manifest.json that completion reads (oclif writes it at build time). */
export interface FlagSpec {
  name: string
  char?: string
  type: 'boolean' | 'option'
  description?: string
  summary?: string
  options?: string[]
  multiple?: boolean
  allowNo?: boolean
}

export interface CommandSpec {
  id: string
  summary?: string
  description?: string
  args: Record<string, {name: string; description?: string; options?: string[]}>
  flags: Record<string, FlagSpec>
  strict?: boolean
}

export interface CliSpec {
  commands: CommandSpec[]
  topics: Record<string, {description?: string}>
}

// Two levels above both src/completion and dist/completion: the package root.
const ROOT = new URL('../../', import.meta.url)

/** Commands from oclif.manifest.json and topics from package.json: no oclif, no command module loaded. */
export function loadCliSpec(root: URL = ROOT): CliSpec {
  const manifest = JSON.parse(readFileSync(new URL('oclif.manifest.json', root), 'utf8')) as {commands: Record<string, CommandSpec>}
  const pjson = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {oclif?: {topics?: CliSpec['topics']}}
  return {commands: Object.values(manifest.commands), topics: pjson.oclif?.topics ?? {}}
}
