import {readFileSync} from 'node:fs'

import {Flags} from '@oclif/core'

import {ClusterCommand} from '../base-command.js'
import {usageError} from '../errors.js'
import {dryRunFlags} from '../flags/index.js'

export default class Adopt extends ClusterCommand<typeof Adopt> {
  static override summary = 'Take over the state of a gateway that the Helm chart installed.'
  static override description = `Reads the chart's Secrets (service-gw-server-certificates in the server namespace, default "server"; service-gw-client-certificates in each --to provider's client namespace, default "client"), cert-manager-managed or manual, and its services: list (-f values.yaml). Checks that the server certificate is for serverAuth and that every client certificate chains to the server's CA, then stores the registry (clients by their certificate CN, with the serial they hold: nothing is re-issued) and settings in the server namespace, and records a pending take-over of the chart's Deployments (service-gw-server, and service-gw-client in each provider), which keep carrying the tunnels. While it is pending, "server install" and "client install" put the plugin's server and clients beside the chart's (the consumer Services stay the chart's); "adopt --finish" then checks that the plugin's server sees every client connected, switches the consumer Services to it, waits for their endpoints and scales the chart's Deployments to 0.
The CA key comes from --ca-key-file or, for a cert-manager-managed chart, from its CA Issuer's Secret; without it (manual Secrets) the gateway issues nothing until "certs rotate --ca". Every input is checked before the first write; --dry-run writes nothing and prints what would change. It prints what the operator must still do.`
  static override examples = [
    '<%= config.bin %> adopt --context consumer --to provider-a --to provider-b -f server-values.yaml',
    '<%= config.bin %> adopt --context consumer --to provider-a --ca-key-file ca.key --dry-run',
    '<%= config.bin %> adopt --finish --context consumer --dry-run',
  ]
  static override flags = {
    // The chart's server namespace by default, not the plugin's svcgw.
    namespace: Flags.string({char: 'n', description: 'The chart\'s server namespace in the consumer cluster (default: server).', helpGroup: 'KUBE'}),
    to: Flags.string({description: 'Kubeconfig context of a provider cluster that runs the chart\'s client (repeatable).', multiple: true}),
    'client-namespace': Flags.string({description: 'The chart\'s client namespace in the providers (default: client).'}),
    file: Flags.string({char: 'f', description: 'The chart\'s server values.yaml (its services: list), or - for stdin.'}),
    'ca-key-file': Flags.string({description: 'PEM file with the private key of the chart\'s CA (manual mode): lets the gateway issue new clients. Stored only in the server cluster.'}),
    finish: Flags.boolean({
      description: 'Finish the take-over: once the plugin\'s server sees every adopted client connected, switch the consumer Services to it and scale the chart\'s Deployments to 0.',
    }),
    // Only --finish waits (for the consumer Services' endpoints); kept as the string given, as waitFlags' is.
    timeout: Flags.string({description: 'With --finish: how long to wait for the consumer Services to reach the plugin\'s server (e.g. 90s, 5m).', default: '5m', helpGroup: 'KUBE'}),
    // No --show-secrets: a dry run of adopt would show the CA key of --ca-key-file, which is never printed.
    'dry-run': dryRunFlags['dry-run'],
  }

  async run(): Promise<unknown> {
    if (this.flags.finish) {
      // Checked here, not with oclif's exclusive, whose usage line would show --to and -f as alternatives.
      const given = (['to', 'client-namespace', 'file', 'ca-key-file'] as const).filter((f) => this.flags[f] !== undefined)
      if (given.length > 0) throw usageError(`--finish takes none of ${given.map((f) => `--${f}`).join(', ')}`, 'the take-over recorded by adopt names the providers: run "adopt --finish" with -n and --context only')
      const {finishTakeover} = await import('../gateway/adopt/finish.js')
      return this.finish(await finishTakeover(await this.chartHome(), {timeoutMs: this.timeoutMs}, this.reporter))
    }
    const services = this.flags.file ? (await import('../gateway/values-file.js')).readChartServices(this.flags.file) : undefined
    const caKey = this.flags['ca-key-file'] ? readKeyFile(this.flags['ca-key-file']) : undefined
    const {adoptChart, CHART_CLIENT_NAMESPACE} = await import('../gateway/adopt/index.js')
    const result = await adoptChart(await this.chartHome(), await this.providerContexts(), {clientNamespace: this.flags['client-namespace'] ?? CHART_CLIENT_NAMESPACE, ...(services ? {services} : {}), ...(caKey ? {caKey} : {})}, this.reporter)
    return this.finish(result)
  }

  /** The chart's server namespace is the default here, not the plugin's svcgw. */
  private async chartHome() {
    const {CHART_SERVER_NAMESPACE} = await import('../gateway/adopt/index.js')
    const {openHome} = await import('../gateway/home.js')
    return openHome(await this.session(), {context: this.flags.context, namespace: this.flags.namespace ?? CHART_SERVER_NAMESPACE})
  }
}

/** The CA key, read once; its content is never echoed, even in an error. */
function readKeyFile(path: string): string {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw usageError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`, 'check the path given to --ca-key-file')
  }
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) throw usageError(`${path} holds no PEM private key`, 'give the CA\'s private key in PEM to --ca-key-file')
  return text
}
