import {DEFAULT_NAMESPACE, names} from '../render/names.js'

/** The flags of `list` this path understands, each as `--flag value` or `--flag=value`. */
const VALUE_FLAGS: Record<string, 'kubeconfig' | 'context' | 'namespace' | 'output'> = {
  '--kubeconfig': 'kubeconfig',
  '--context': 'context',
  '--namespace': 'namespace',
  '-n': 'namespace',
  '--output': 'output',
  '-o': 'output',
}

type Parsed = Partial<Record<'kubeconfig' | 'context' | 'namespace' | 'output', string>>

/** `list`'s arguments, or undefined for anything else (another flag, a repeated one, --help, a bad value): oclif says what is wrong. */
export function parseListArgs(argv: string[]): Parsed | undefined {
  const parsed: Parsed = {}
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].startsWith('--') && argv[i].includes('=') ? [argv[i].slice(0, argv[i].indexOf('=')), argv[i].slice(argv[i].indexOf('=') + 1)] : [argv[i], undefined]
    const key = VALUE_FLAGS[flag]
    if (!key || parsed[key] !== undefined) return undefined
    const value = inline ?? argv[++i]
    if (value === undefined || value === '' || (inline === undefined && value.startsWith('-'))) return undefined
    parsed[key] = value
  }
  if (parsed.output !== undefined && !['text', 'json', 'yaml'].includes(parsed.output)) return undefined
  return parsed
}

/**
 * `kubectl svcgw list` answered without oclif and without the Kubernetes
 * client, when the arguments and the kubeconfig are plain ones (see
 * readDirect): the output is the list command's own. Returns false when it
 * did not answer; the caller then runs the CLI as usual.
 */
export async function fastList(argv: string[]): Promise<boolean> {
  const args = parseListArgs(argv)
  if (!args) return false
  const namespace = args.namespace ?? DEFAULT_NAMESPACE
  // Loaded only once the arguments are taken: `list --help` goes to oclif and needs none of it.
  const [{readDirect}, {registryFromData}, {listText, listView}, {formatStructured}] = await Promise.all([
    import('../kube/direct-read.js'),
    import('../render/registry-configmap.js'),
    import('../ui/list-view.js'),
    import('../ui/output.js'),
  ])
  const cm = (await readDirect(`/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps/${names.registry}`, args)) as {data?: Record<string, string>} | undefined
  if (!cm) return false
  const view = listView(registryFromData(cm.data).registry)
  const format = args.output ?? 'text'
  if (format === 'text') process.stdout.write(`${listText(view)}\n`)
  else process.stdout.write(`${formatStructured(view, format as 'json' | 'yaml')}\n`)
  return true
}
