import {strict as assert} from 'node:assert'
import {ApiException} from '@kubernetes/client-node'

import {DryRunJournal} from '../../../src/kube/dry-run.js'
import {mapKubeError} from '../../../src/kube/errors.js'
import {matchesSelector} from '../../../src/kube/object.js'
import {parseHttpResponse} from '../../../src/kube/pods.js'
import {rolloutDone, waitingReason} from '../../../src/kube/wait.js'
import {diffReport, wouldBeObjects} from '../../../src/ui/dry-run-report.js'

const apiError = (code: number, message: string) => new ApiException(code, 'x', JSON.stringify({kind: 'Status', message}), {})

describe('Kubernetes errors mapped to ours, in one place', () => {
  it('gives each status its class and exit code and names the context', () => {
    const cases: Array<[number, number, RegExp]> = [
      [401, 6, /unauthorized in context "ctx-b": refresh the credentials/],
      [403, 6, /forbidden in context "ctx-b" \(configmaps is forbidden\): ask for the RBAC permission/],
      [404, 3, /not found in context "ctx-b"/],
      [409, 4, /conflict in context "ctx-b"/],
      [422, 2, /rejected by context "ctx-b"/],
    ]
    for (const [code, exit, line] of cases) {
      const error = mapKubeError(apiError(code, 'configmaps is forbidden'), 'ctx-b', 'reading x')
      assert.equal(error.exitCode, exit, String(code))
      assert.match(error.line, line)
    }
  })

  it('calls a refused connection unreachable (exit 5), naming the flags to check', () => {
    const refused = Object.assign(new Error('request to https://127.0.0.1:9/api failed, reason: connect ECONNREFUSED 127.0.0.1:9'), {cause: {code: 'ECONNREFUSED'}})
    const error = mapKubeError(refused, 'dead', 'listing services')
    assert.equal(error.exitCode, 5)
    assert.match(error.line, /cannot reach the cluster of context "dead".*--context\/--to/)
  })
})

describe('rollouts', () => {
  const deployment = (generation: number, status: Record<string, number>) => ({apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: 'd', generation}, spec: {replicas: 1}, status})

  it("are done by kubectl's rule", () => {
    assert.equal(rolloutDone(deployment(2, {observedGeneration: 2, replicas: 1, updatedReplicas: 1, availableReplicas: 1})), true)
    assert.equal(rolloutDone(deployment(3, {observedGeneration: 2, replicas: 1, updatedReplicas: 1, availableReplicas: 1})), false, 'a generation not yet seen')
    assert.equal(rolloutDone(deployment(2, {observedGeneration: 2, replicas: 2, updatedReplicas: 1, availableReplicas: 1})), false, 'an old pod still there')
  })

  it("say why they wait: a refused pod, an image that cannot be pulled, a crash loop; not a pod that is merely starting", () => {
    const rs = (message: string) => ({apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: {name: 'r'}, status: {conditions: [{type: 'ReplicaFailure', status: 'True', message}]}})
    const pod = (reason: string, message?: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {name: 'p'},
      status: {containerStatuses: [{name: 'openvpn', ready: false, restartCount: 0, state: {waiting: {reason, ...(message ? {message} : {})}}}]},
    })
    assert.match(waitingReason([], [rs('pods "x" is forbidden: violates PodSecurity "baseline:latest"')]) ?? '', /violates PodSecurity/)
    assert.equal(waitingReason([pod('ImagePullBackOff', 'Back-off pulling image "x"')], []), 'container openvpn of p: ImagePullBackOff (Back-off pulling image "x")')
    assert.match(waitingReason([pod('CrashLoopBackOff')], []) ?? '', /CrashLoopBackOff/)
    assert.equal(waitingReason([pod('ContainerCreating')], []), undefined)
  })
})

describe('HTTP answers through port-forward', () => {
  it('are whole only once the body has its Content-Length', () => {
    assert.equal(parseHttpResponse(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nab')), undefined)
    assert.deepEqual(parseHttpResponse(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nabcd')), {status: 200, body: 'abcd'})
    assert.equal(parseHttpResponse(Buffer.from('HTTP/1.1 503 Service Unavailable\r\n')), undefined)
    assert.equal(parseHttpResponse(Buffer.from('SSH-2.0-x\r\n\r\n'))?.status, 0)
  })
})

describe('label selectors of the objects a dry run creates', () => {
  it('match by equality, as our selectors are written', () => {
    assert.equal(matchesSelector({a: '1', b: '2'}, 'a=1,b=2'), true)
    assert.equal(matchesSelector({a: '1'}, 'a=1,b=2'), false)
    assert.equal(matchesSelector(undefined, undefined), true)
  })
})

describe('the dry-run report', () => {
  const cm = (data: Record<string, string>, rv = '1') => ({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'c', namespace: 'gw', resourceVersion: rv, managedFields: [{}]}, data})
  const secret = (data: Record<string, string>) => ({apiVersion: 'v1', kind: 'Secret', metadata: {name: 's', namespace: 'gw'}, type: 'Opaque', data})

  function journal(): DryRunJournal {
    const j = new DryRunJournal()
    j.record({apiVersion: 'v1', kind: 'ConfigMap', name: 'c', namespace: 'gw'}, cm({a: '1', b: '2'}), cm({a: '1', b: '3'}, '2'), true)
    j.record({apiVersion: 'v1', kind: 'Secret', name: 's', namespace: 'gw'}, secret({'tls.key': 'b2xk', 'ca.crt': 'c2FtZQ=='}), secret({'tls.key': 'bmV3', 'ca.crt': 'c2FtZQ=='}), true)
    j.record({apiVersion: 'v1', kind: 'ConfigMap', name: 'same', namespace: 'gw'}, cm({a: '1'}), cm({a: '1'}, '9'), true)
    return j
  }

  it('is a unified diff per changed object, in kubectl diff\'s shape, with Secret data masked', async () => {
    const report = await diffReport([{context: 'ctx-a', entries: journal().list()}], false)
    assert.equal(report.changed, 2)
    assert.equal(report.unchanged, 1, 'a new resourceVersion alone is no change')
    assert.match(report.text, /^diff -u -N live\/ctx-a\/v1\.ConfigMap\.gw\.c merged\/ctx-a\/v1\.ConfigMap\.gw\.c$/m)
    assert.match(report.text, /^-\s+b: "2"$/m)
    assert.match(report.text, /^\+\s+b: "3"$/m)
    assert.match(report.text, /^-\s+tls\.key: "\*\*\* \(before\)"$/m)
    assert.match(report.text, /^\+\s+tls\.key: "\*\*\* \(after\)"$/m)
    assert.doesNotMatch(report.text, /b2xk|bmV3|c2FtZQ/, 'no secret value, old or new')
    assert.doesNotMatch(report.text, /managedFields|resourceVersion/)
  })

  it('indents compact JSON values of a ConfigMap for the diff, so a change is the lines it changes', async () => {
    const j = new DryRunJournal()
    const registry = (services: string[]) => cm({'registry.json': JSON.stringify({services: services.map((name) => ({name})), clients: [{name: 'b'}]})})
    j.record({apiVersion: 'v1', kind: 'ConfigMap', name: 'c', namespace: 'gw'}, registry(['web']), registry(['web', 'api']), true)
    const report = await diffReport([{context: 'ctx-a', entries: j.list()}], false)
    assert.match(report.text, /^\+\s+"name": "api"$/m)
    assert.doesNotMatch(report.text, /^[-+].*"clients"/m, 'unchanged parts are context, not a replaced line')
  })

  it('shows Secret data with --show-secrets', async () => {
    const report = await diffReport([{context: 'ctx-a', entries: journal().list()}], true)
    assert.match(report.text, /^\+\s+tls\.key: bmV3$/m)
  })

  it('-o yaml|json objects are the would-be state, masked the same way', () => {
    const objects = wouldBeObjects([{context: 'ctx-a', entries: journal().list()}], false)
    const s = objects.find((o) => o.kind === 'Secret')!
    assert.deepEqual(s.data, {'tls.key': '*** (after)', 'ca.crt': '***'})
  })

  it('remembers the live object of the first write only, and a deletion as the end state', () => {
    const j = journal()
    const ref = {apiVersion: 'v1', kind: 'ConfigMap', name: 'c', namespace: 'gw'}
    j.record(ref, cm({z: '0'}), undefined, true)
    assert.deepEqual(j.get(ref)?.before?.data, {a: '1', b: '2'})
    assert.equal(j.get(ref)?.after, undefined)
  })
})

describe('a refused exec or port-forward (WebSocket upgrade)', () => {
  it('is forbidden, naming the subresource to ask for', () => {
    const error = mapKubeError(new Error('Unexpected server response: 403'), 'ctx-a', 'port-forward to p')
    assert.equal(error.exitCode, 6)
    assert.match(error.line, /port-forward to p: forbidden in context "ctx-a": ask for the RBAC permission on pods\/exec or pods\/portforward/)
  })
})
