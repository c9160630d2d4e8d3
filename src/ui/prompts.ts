import {SvcgwError, usageError} from '../errors.js'

/** Prompts only where a person can answer: stdin and stdout are terminals and --yes was not given. */
export const canPrompt = (yes: boolean): boolean => !yes && Boolean(process.stdin.isTTY) && Boolean(process.stdout.isTTY)

export async function pickContexts(choices: string[], options: {yes: boolean; flag: string}): Promise<string[]> {
  if (!canPrompt(options.yes)) {
    throw usageError('no provider context given', `pass ${options.flag} CONTEXT (one of: ${choices.join(', ')})`)
  }
  const {checkbox} = await import('@inquirer/prompts')
  const picked = await checkbox({message: 'Provider contexts', choices: choices.map((value) => ({value})), required: true})
  return picked
}

/** One choice from a list; without a terminal (or with nothing to choose), `missing` is the error. */
export async function pickOne(message: string, choices: string[], options: {yes: boolean; missing: SvcgwError}): Promise<string> {
  if (!canPrompt(options.yes) || choices.length === 0) throw options.missing
  const {select} = await import('@inquirer/prompts')
  return select({message, choices: choices.map((value) => ({value}))})
}

export async function confirmOrFail(question: string, options: {yes: boolean}): Promise<void> {
  if (options.yes) return
  if (!canPrompt(false)) throw usageError(`${question} needs confirmation`, 'pass --yes to confirm without a prompt')
  const {confirm} = await import('@inquirer/prompts')
  if (!(await confirm({message: question, default: false}))) throw usageError('cancelled', 'nothing was changed')
}
