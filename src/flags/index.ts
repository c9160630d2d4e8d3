import {Flags} from '@oclif/core'

import {usageError} from '../errors.js'

const UNITS_MS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000}

/** Parses kubectl-style durations ("90s", "5m", "1h30m", "0") into milliseconds. */
export function parseDuration(input: string): number {
  if (/^\d+$/.test(input)) return Number(input) * 1000
  const parts = [...input.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)]
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== input) {
    throw usageError(`invalid duration "${input}"`, 'use a value like 90s, 5m or 1h30m')
  }
  return parts.reduce((sum, [, value, unit]) => sum + Number(value) * UNITS_MS[unit], 0)
}

export const duration = Flags.custom<number>({
  parse: async (input) => parseDuration(input),
})

export const port = Flags.custom<number>({
  parse: async (input) => {
    const value = Number(input)
    if (!Number.isInteger(value) || value < 1 || value > 65_535) {
      throw usageError(`invalid port "${input}"`, 'use a whole number from 1 to 65535')
    }
    return value
  },
})

/** Which cluster and namespace: kubectl's names and meanings, taken by every command that talks to a cluster. */
export const connectionFlags = {
  kubeconfig: Flags.string({
    description: 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).',
    helpGroup: 'KUBE',
  }),
  context: Flags.string({
    description: 'Kubeconfig context of the server (home) cluster (default: the current context).',
    helpGroup: 'KUBE',
  }),
  namespace: Flags.string({
    char: 'n',
    description: 'Gateway namespace in the home cluster (default: svcgw; never the context\'s namespace).',
    helpGroup: 'KUBE',
  }),
}

/** Output flags, taken by every command. */
export const outputFlags = {
  output: Flags.option({
    char: 'o',
    options: ['text', 'json', 'yaml'] as const,
    default: 'text' as const,
    description: 'Output format.',
    helpGroup: 'OUTPUT',
  })(),
  verbose: Flags.boolean({description: 'Show stack traces and debug detail on errors.', helpGroup: 'OUTPUT'}),
}

/** For commands that change a cluster: the apiserver's own dry run, shown as a diff. */
export const dryRunFlags = {
  'dry-run': Flags.boolean({
    description: 'Change nothing: the apiserver validates every write (server-side dry run) and the command prints what would change, as a diff (-o yaml|json: the objects).',
    helpGroup: 'KUBE',
  }),
  'show-secrets': Flags.boolean({
    description: 'With --dry-run, print Secret data instead of masking it.',
    dependsOn: ['dry-run'],
    helpGroup: 'KUBE',
  }),
}

/** For commands that wait for what they changed to be live. */
export const waitFlags = {
  wait: Flags.boolean({description: 'Wait until the change is live in the pods before returning.', default: true, allowNo: true, helpGroup: 'KUBE'}),
  // Kept as the string given, so help shows "5m" with no help function (a function would make
  // oclif load every command module to render help); the base command parses it up front.
  timeout: Flags.string({description: 'How long to wait (e.g. 90s, 5m).', default: '5m', helpGroup: 'KUBE'}),
}

/** For commands that ask before they destroy something. */
export const yesFlag = {
  yes: Flags.boolean({char: 'y', description: 'Answer yes to every confirmation; never prompt.', helpGroup: 'OUTPUT'}),
}

/** For installs into a namespace that exists already. */
export const relabelFlag = {
  'relabel-namespace': Flags.boolean({
    description: 'Allow raising an existing namespace\'s Pod Security level to "privileged" (the tunnel needs NET_ADMIN); uninstall restores it.',
    helpGroup: 'KUBE',
  }),
}
