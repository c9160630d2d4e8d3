import type {Registry} from '../registry/types.js'
import type {CliSpec, CommandSpec, FlagSpec} from './manifest.js'

/** cobra's ShellCompDirective bits, which kubectl passes on to the shell's completion script. */
export const Directive = {default: 0, error: 1, noSpace: 2, noFileComp: 4} as const

export interface Candidate {
  value: string
  description?: string
}

export interface Completion {
  candidates: Candidate[]
  directive: number
}

/** Where values come from; each answers nothing (never throws) when it cannot tell. */
export interface Sources {
  contexts(kubeconfig: string | undefined): Promise<string[]>
  registry(target: {kubeconfig?: string; context?: string; namespace: string}): Promise<Registry | undefined>
  services(target: {kubeconfig?: string; context?: string; namespace: string}): Promise<string[]>
}

const DEFAULT_GATEWAY_NAMESPACE = 'svcgw'
/** Flags whose value is a path: the shell completes files. */
const FILE_FLAGS = new Set(['kubeconfig', 'filename', 'file', 'server-manifest'])
const CONTEXT_FLAGS = new Set(['context', 'to'])
const CLIENT_FLAGS = new Set(['client', 'name'])

const firstLine = (text?: string) => text?.split('\n')[0].replaceAll('\t', ' ').trim() || undefined

interface Line {
  command?: CommandSpec
  /** Words that named the command (or the topics typed so far). */
  path: string[]
  given: Map<string, string[]>
  positionals: string[]
  /** A flag whose value is the word being completed. */
  pendingFlag?: FlagSpec
}

function flagOf(command: CommandSpec | undefined, word: string): FlagSpec | undefined {
  if (!command) return undefined
  const flags = Object.values(command.flags)
  if (word.startsWith('--')) {
    const name = word.slice(2).split('=')[0]
    return flags.find((f) => f.name === name || (f.allowNo && `no-${f.name}` === name))
  }
  return word.length === 2 ? flags.find((f) => f.char === word[1]) : undefined
}

/** Reads the words before the one being completed: which command, its flags and arguments. */
function readLine(spec: CliSpec, words: string[]): Line {
  const line: Line = {path: [], given: new Map(), positionals: []}
  for (let i = 0; i < words.length; i++) {
    const word = words[i]
    if (!line.command && !word.startsWith('-')) {
      const path = [...line.path, word]
      line.path = path
      line.command = spec.commands.find((c) => c.id === path.join(':'))
      continue
    }
    if (word.startsWith('-') && word !== '-') {
      const flag = flagOf(line.command, word)
      if (!flag) continue
      const inline = word.includes('=') ? word.slice(word.indexOf('=') + 1) : undefined
      let value = inline
      if (flag.type === 'option' && inline === undefined) {
        if (i === words.length - 1) line.pendingFlag = flag
        else value = words[++i]
      }
      line.given.set(flag.name, [...(line.given.get(flag.name) ?? []), value ?? 'true'])
      continue
    }
    line.positionals.push(word)
  }
  return line
}

const target = (line: Line) => ({
  kubeconfig: line.given.get('kubeconfig')?.[0],
  context: line.given.get('context')?.[0],
  namespace: line.given.get('namespace')?.[0] ?? DEFAULT_GATEWAY_NAMESPACE,
})

async function flagValues(flag: FlagSpec, line: Line, sources: Sources): Promise<Completion> {
  const none = {candidates: [], directive: Directive.noFileComp}
  if (flag.options) return {candidates: flag.options.map((value) => ({value})), directive: Directive.noFileComp}
  if (FILE_FLAGS.has(flag.name)) return {candidates: [], directive: Directive.default}
  if (CONTEXT_FLAGS.has(flag.name)) {
    const contexts = await sources.contexts(target(line).kubeconfig)
    return {candidates: contexts.map((value) => ({value})), directive: Directive.noFileComp}
  }
  if (CLIENT_FLAGS.has(flag.name) && line.command?.id !== 'rbac') {
    const registry = await sources.registry(target(line))
    return {candidates: (registry?.clients ?? []).map((c) => ({value: c.name, description: c.context})), directive: Directive.noFileComp}
  }
  return none
}

async function argumentValues(line: Line, sources: Sources): Promise<Completion> {
  const command = line.command!
  const none = {candidates: [], directive: Directive.noFileComp}
  if (command.id === 'unexpose') {
    const registry = await sources.registry(target(line))
    const left = (registry?.services ?? []).filter((s) => !line.positionals.includes(s.name))
    return {candidates: left.map((s) => ({value: s.name, description: `${s.clientService.name}.${s.clientService.namespace}:${s.clientService.port}`})), directive: Directive.noFileComp}
  }
  if (command.id === 'expose' && line.positionals.length === 0) {
    // Services of a provider: the first --to, else the context a registered client was installed from.
    let provider = line.given.get('to')?.[0]
    if (!provider) provider = (await sources.registry(target(line)))?.clients.find((c) => c.context)?.context
    if (!provider) return none
    const services = await sources.services({kubeconfig: target(line).kubeconfig, context: provider, namespace: line.given.get('service-namespace')?.[0] ?? 'default'})
    return {candidates: services.map((value) => ({value, description: `Service in ${provider}`})), directive: Directive.noFileComp}
  }
  const arg = Object.values(command.args)[line.positionals.length]
  return arg?.options ? {candidates: arg.options.map((value) => ({value})), directive: Directive.noFileComp} : none
}

function subcommands(spec: CliSpec, path: string[]): Candidate[] {
  const found = new Map<string, Candidate>()
  for (const command of spec.commands) {
    const parts = command.id.split(':')
    if (parts.length <= path.length || path.some((p, i) => parts[i] !== p)) continue
    const next = parts[path.length]
    const isTopic = parts.length > path.length + 1
    const topic = spec.topics[[...path, next].join(':')]
    found.set(next, {value: next, description: firstLine(isTopic ? topic?.description : command.summary ?? command.description)})
  }
  return [...found.values()]
}

function flagNames(line: Line): Candidate[] {
  const flags = Object.values(line.command?.flags ?? {})
  const out: Candidate[] = []
  for (const flag of flags) {
    if (line.given.has(flag.name) && !flag.multiple) continue
    const description = firstLine(flag.summary ?? flag.description)
    out.push({value: `--${flag.name}`, description})
    if (flag.allowNo) out.push({value: `--no-${flag.name}`, description})
  }
  return [...out, {value: '--help', description: 'Show help for the command.'}]
}

/**
 * What to offer for the last word, given the words after `kubectl svcgw`, as kubectl ≥ 1.26
 * passes them to kubectl_complete-svcgw: subcommands and flags from the manifest, and values
 * where they are known (contexts, registered clients, exposed services, a provider's Services).
 */
export async function complete(spec: CliSpec, words: string[], sources: Sources): Promise<Completion> {
  const current = words.at(-1) ?? ''
  const line = readLine(spec, words.slice(0, -1))
  let result: Completion
  let prefix = ''
  if (line.pendingFlag) {
    result = await flagValues(line.pendingFlag, line, sources)
  } else if (current.startsWith('--') && current.includes('=')) {
    const flag = flagOf(line.command, current)
    prefix = current.slice(0, current.indexOf('=') + 1)
    result = flag?.type === 'option' ? await flagValues(flag, line, sources) : {candidates: [], directive: Directive.noFileComp}
  } else if (current.startsWith('-')) {
    result = {candidates: flagNames(line), directive: Directive.noFileComp}
  } else if (!line.command) {
    result = {candidates: subcommands(spec, line.path), directive: Directive.noFileComp}
  } else {
    result = await argumentValues(line, sources)
  }
  const typed = current.slice(prefix.length)
  const candidates = result.candidates.filter((c) => c.value.startsWith(typed)).map((c) => ({...c, value: prefix + c.value}))
  return {candidates, directive: result.directive}
}

/** cobra's __complete output: one candidate a line (TAB, then its description), then ":directive". */
export function formatCompletion({candidates, directive}: Completion): string {
  return [...candidates.map((c) => (c.description ? `${c.value}\t${c.description}` : c.value)), `:${directive}`].join('\n') + '\n'
}
