import {Args, Flags} from '@oclif/core'

import {SvcgwCommand} from '../base-command.js'
import {validateNamespaceName} from '../registry/validate.js'
import {DEFAULT_NAMESPACE} from '../render/names.js'
import type {RbacRole, Subject} from '../render/rbac.js'

// render/rbac's RBAC_ROLES, restated: importing that module here would load js-yaml (its
// manifests) whenever this command is loaded. tsc holds the two lists equal.
const RBAC_ROLES = ['viewer', 'operator', 'admin', 'doctor'] as const satisfies readonly RbacRole[]
type Unlisted = Exclude<RbacRole, (typeof RBAC_ROLES)[number]>
export const everyRoleListed: [Unlisted] extends [never] ? true : Unlisted = true

export default class Rbac extends SvcgwCommand<typeof Rbac> {
  static override summary = 'Print the Roles a task needs, to apply with kubectl (no cluster contacted).'
  static override description = `viewer: list and status. operator: expose and unexpose (and what viewer may); neither touches a Secret nor execs in a pod. admin: install, uninstall and the certs commands, key material included. doctor: what status reads, and exec in the gateway pods, their logs and the certificates, to find a broken hop (writes nothing).
--side home prints the Roles for the server's cluster (gateway namespace -n), --side provider those for a provider cluster (client namespace --client-namespace). With --user, --group or --service-account, bindings too. See docs/rbac.md.`
  static override examples = [
    '<%= config.bin %> rbac operator --user alice | kubectl apply -f -',
    '<%= config.bin %> rbac operator --side provider --group platform | kubectl --context ctx-b apply -f -',
    '<%= config.bin %> rbac viewer --service-account monitoring/prober',
  ]
  static override args = {
    role: Args.string({description: 'The task: viewer, operator, admin or doctor.', required: true, options: [...RBAC_ROLES]}),
  }
  static override flags = {
    side: Flags.option({options: ['home', 'provider'] as const, default: 'home' as const, description: "Which cluster's Roles: the server's (home) or a provider's."})(),
    namespace: Flags.string({char: 'n', description: 'Gateway namespace, for --side home.', default: DEFAULT_NAMESPACE}),
    'client-namespace': Flags.string({description: 'Client namespace, for --side provider.', default: DEFAULT_NAMESPACE}),
    user: Flags.string({description: 'Bind the Roles to this user (repeatable).', multiple: true}),
    group: Flags.string({description: 'Bind the Roles to this group (repeatable).', multiple: true}),
    'service-account': Flags.string({description: 'Bind the Roles to this service account, NAMESPACE/NAME (repeatable).', multiple: true}),
  }

  async run(): Promise<unknown> {
    const {parseServiceAccount, rbacObjects} = await import('../render/rbac.js')
    const {formatObjects} = await import('../ui/output.js')
    const namespace = this.flags.side === 'home' ? this.flags.namespace : this.flags['client-namespace']
    validateNamespaceName(namespace)
    const subjects: Subject[] = [
      ...(this.flags.user ?? []).map((name): Subject => ({kind: 'User', name})),
      ...(this.flags.group ?? []).map((name): Subject => ({kind: 'Group', name})),
      ...(this.flags['service-account'] ?? []).map(parseServiceAccount),
    ]
    const objects = rbacObjects(this.args.role as RbacRole, this.flags.side, namespace, subjects)
    this.log(formatObjects(objects, this.format === 'json' ? 'json' : 'yaml'))
    return objects
  }
}
