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

/** Flags every cluster command takes, with kubectl's names and meanings. */
export const kubeFlags = {
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
    description: "Gateway namespace (default: the context's namespace, then svcgw).",
    helpGroup: 'KUBE',
  }),
  output: Flags.option({
    char: 'o',
    options: ['text', 'json', 'yaml'] as const,
    default: 'text' as const,
    description: 'Output format.',
    helpGroup: 'OUTPUT',
  })(),
  'dry-run': Flags.boolean({
    description: 'Print what would be applied (use with -o yaml|json) without changing any cluster.',
    helpGroup: 'KUBE',
  }),
  timeout: duration({
    description: 'How long to wait for the cluster (e.g. 90s, 5m).',
    default: 300_000,
    defaultHelp: async () => '5m',
    helpGroup: 'KUBE',
  }),
  yes: Flags.boolean({char: 'y', description: 'Answer yes to every confirmation; never prompt.', helpGroup: 'OUTPUT'}),
  verbose: Flags.boolean({description: 'Show stack traces and debug detail on errors.', helpGroup: 'OUTPUT'}),
}

/** Output flags alone, for commands that never touch a cluster. */
export const outputFlags = {
  output: kubeFlags.output,
  verbose: kubeFlags.verbose,
}
